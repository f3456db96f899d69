//! `Settings`: the server's whole configuration, read once from the
//! environment (and a `.env` file, loaded by `main`), checked right away so a
//! bad value is reported with the variable's name before anything starts.

mod delivery;
mod edge;
mod replication;
mod vars;

pub use delivery::DeliveryConfig;
pub use edge::EdgeConfig;

use crate::alerts::detect::Rules;
use crate::poller::PollConfig;
use crate::poller::schedule::Budget;
use crate::store::ReplicationWait;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use vars::Vars;

/// A value that must never appear in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A configuration problem, naming the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND_ADDR`: where the HTTP API listens.
    pub bind_addr: SocketAddr,
    /// `REDIS_URL`: `redis://host:port/db` or `redis+unix:///path/redis.sock`.
    pub redis_url: Secret,
    /// `REDIS_KEY_PREFIX`: prepended to every key, so several deployments or tests share a Redis.
    pub key_prefix: String,
    /// `REDIS_WAIT_REPLICAS` (0: never) and `REDIS_WAIT_TIMEOUT_MS` (200):
    /// the replicas a write holding a subscriber's data waits for.
    pub redis_wait: ReplicationWait,
    /// `SMTP_URL` (may hold credentials, hence secret).
    pub smtp_url: Secret,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// `MAIL_FROM`: the From header of every email.
    pub mail_from: String,
    /// `PUBLIC_URL`: base for links in emails.
    pub public_url: String,
    /// `COWIN_API_URL`: base of the CoWIN-compatible API, without a trailing slash.
    pub cowin_api_url: String,
    /// `RATE_LIMIT_IP_PER_HOUR`: codes one client IP may request per hour.
    pub rate_limit_ip_per_hour: u32,
    /// `POLL_BUDGET` (`100/300s`), `POLL_MIN_INTERVAL` (`60s`), `POLL_MAX_INTERVAL`
    /// (`30m`), `ALERT_MARGIN` (`2`), `ALERT_REALERT_INTERVAL` (`10m`).
    pub poll: PollConfig,
    /// Workers, retries, webhooks and publishers: see [`DeliveryConfig`].
    pub delivery: DeliveryConfig,
    /// Timeouts, proxies, the operator key and the abuse limits: see [`EdgeConfig`].
    pub edge: EdgeConfig,
    /// `TOKEN_TTL` (`90d`): a bearer token unused this long stops working;
    /// each use starts the time again.
    pub token_ttl: Duration,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var`, so tests can supply their own values.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars::new(&var);
        let bind_addr = vars.get("BIND_ADDR", "127.0.0.1:8080");
        let bind_addr = bind_addr.parse().map_err(|_| ConfigError {
            var: "BIND_ADDR",
            reason: format!("'{bind_addr}' is not a socket address like 127.0.0.1:8080"),
        })?;
        let redis_url = vars.url("REDIS_URL", "redis://127.0.0.1:6379/0", REDIS_SCHEMES)?;
        let smtp_url = vars.url(
            "SMTP_URL",
            "smtp://127.0.0.1:1025",
            &["smtp://", "smtps://"],
        )?;
        let web = &["http://", "https://"];
        let public_url = vars.url("PUBLIC_URL", &format!("http://{bind_addr}"), web)?;
        let cowin_api_url = vars.url("COWIN_API_URL", "https://cdn-api.co-vin.in/api/v2", web)?;
        Ok(Self {
            poll: poll_config(&vars)?,
            delivery: DeliveryConfig::from_vars(&vars)?,
            edge: EdgeConfig::from_vars(&vars)?,
            bind_addr,
            redis_url: Secret::new(redis_url),
            key_prefix: key_prefix(&vars)?,
            redis_wait: replication::replication_wait(&vars)?,
            smtp_url: Secret::new(smtp_url),
            smtp_username: vars.optional("SMTP_USERNAME"),
            smtp_password: vars.optional("SMTP_PASSWORD").map(Secret::new),
            mail_from: mail_from(&vars)?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            cowin_api_url: cowin_api_url.trim_end_matches('/').to_owned(),
            rate_limit_ip_per_hour: vars.positive("RATE_LIMIT_IP_PER_HOUR", "30")?,
            token_ttl: vars.positive_duration("TOKEN_TTL", "90d")?,
        })
    }
}

const REDIS_SCHEMES: &[&str] = &[
    "redis://",
    "rediss://",
    "redis+unix://",
    "unix://",
    "redis+cluster://",
];

/// `REDIS_KEY_PREFIX`, which must hold no `{` or `}`: every key's hash tag
/// (its Redis Cluster slot) is the first `{...}` in its name, which the store
/// places after the prefix (ARCHITECTURE.md, "Redis key layout").
fn key_prefix(vars: &Vars) -> Result<String, ConfigError> {
    let prefix = vars.get("REDIS_KEY_PREFIX", "rh:");
    match prefix.contains(['{', '}']) {
        false => Ok(prefix),
        true => Err(ConfigError {
            var: "REDIS_KEY_PREFIX",
            reason: format!(
                "'{prefix}' holds a brace: '{{' and '}}' would make it a Redis Cluster hash tag, which the store sets per key; use a prefix like 'rh:'"
            ),
        }),
    }
}

fn mail_from(vars: &Vars) -> Result<String, ConfigError> {
    let mail_from = vars.get("MAIL_FROM", "redis-hack <noreply@localhost>");
    match mail_from.contains('@') {
        true => Ok(mail_from),
        false => Err(ConfigError {
            var: "MAIL_FROM",
            reason: format!(
                "'{mail_from}' is not a mailbox like 'redis-hack <alerts@example.com>'"
            ),
        }),
    }
}

fn poll_config(vars: &Vars) -> Result<PollConfig, ConfigError> {
    let raw = vars.get("POLL_BUDGET", "100/300s");
    let budget = Budget::parse(&raw).map_err(|reason| ConfigError {
        var: "POLL_BUDGET",
        reason,
    })?;
    let (min_interval, max_interval) = (
        vars.positive_duration("POLL_MIN_INTERVAL", "60s")?,
        vars.positive_duration("POLL_MAX_INTERVAL", "30m")?,
    );
    if max_interval < min_interval {
        return Err(ConfigError {
            var: "POLL_MAX_INTERVAL",
            reason: "must not be shorter than POLL_MIN_INTERVAL".into(),
        });
    }
    let raw = vars.get("ALERT_MARGIN", "2");
    let margin = raw.parse().map_err(|_| ConfigError {
        var: "ALERT_MARGIN",
        reason: format!("'{raw}' is not a whole number of slots"),
    })?;
    let realert = vars.positive_duration("ALERT_REALERT_INTERVAL", "10m")?;
    Ok(PollConfig {
        budget,
        min_interval,
        max_interval,
        rules: Rules { margin, realert },
        followup_window: vars.positive_duration("FOLLOWUP_WINDOW", "6h")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn a_key_prefix_with_a_hash_tag_is_refused() {
        for bad in ["{rh}:", "rh{:", "rh}:"] {
            let e = settings(&[("REDIS_KEY_PREFIX", bad)]).unwrap_err();
            assert_eq!(e.var, "REDIS_KEY_PREFIX", "{bad}");
        }
        assert_eq!(
            settings(&[("REDIS_KEY_PREFIX", "test:ab12:")])
                .unwrap()
                .key_prefix,
            "test:ab12:"
        );
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.key_prefix, "rh:");
        assert_eq!(s.cowin_api_url, "https://cdn-api.co-vin.in/api/v2");
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(
            s.poll.budget,
            Budget {
                calls: 100,
                window: Duration::from_secs(300)
            }
        );
        assert_eq!(s.poll.min_interval, Duration::from_secs(60));
        assert_eq!(s.token_ttl, Duration::from_secs(90 * 86_400));
        let short = settings(&[("TOKEN_TTL", "2s")]).unwrap();
        assert_eq!(short.token_ttl, Duration::from_secs(2));
    }

    #[test]
    fn a_bad_value_is_reported_with_its_variable_name() {
        let e = settings(&[("BIND_ADDR", "localhost")]).unwrap_err();
        assert_eq!(e.var, "BIND_ADDR");
        let e = settings(&[("REDIS_URL", "http://x")]).unwrap_err();
        assert_eq!(e.var, "REDIS_URL");
        let e = settings(&[("RATE_LIMIT_IP_PER_HOUR", "0")]).unwrap_err();
        assert_eq!(e.var, "RATE_LIMIT_IP_PER_HOUR");
        let e = settings(&[("POLL_BUDGET", "lots")]).unwrap_err();
        assert_eq!(e.var, "POLL_BUDGET");
        let e = settings(&[("POLL_MIN_INTERVAL", "5m"), ("POLL_MAX_INTERVAL", "1m")]).unwrap_err();
        assert_eq!(e.var, "POLL_MAX_INTERVAL");
        for bad in ["forever", "0s"] {
            assert_eq!(
                settings(&[("TOKEN_TTL", bad)]).unwrap_err().var,
                "TOKEN_TTL"
            );
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = settings(&[("SMTP_URL", "smtps://user:hunter2@mail.example.com")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
