//! `Settings`: the server's whole configuration, read once from the
//! environment (and a `.env` file, loaded by `main`), checked right away so a
//! bad value is reported with the variable's name before anything starts.

mod delivery;

pub use delivery::DeliveryConfig;

use crate::alerts::detect::Rules;
use crate::poller::PollConfig;
use crate::poller::schedule::{Budget, parse_duration};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

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
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads settings through `var`, so tests can supply their own values.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str, default: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let bind_addr = get("BIND_ADDR", "127.0.0.1:8080");
        let bind_addr = bind_addr.parse().map_err(|_| ConfigError {
            var: "BIND_ADDR",
            reason: format!("'{bind_addr}' is not a socket address like 127.0.0.1:8080"),
        })?;
        let redis_url = get("REDIS_URL", "redis://127.0.0.1:6379/0");
        check_scheme(
            "REDIS_URL",
            &redis_url,
            &[
                "redis://",
                "rediss://",
                "redis+unix://",
                "unix://",
                "redis+cluster://",
            ],
        )?;
        let smtp_url = get("SMTP_URL", "smtp://127.0.0.1:1025");
        check_scheme("SMTP_URL", &smtp_url, &["smtp://", "smtps://"])?;
        let mail_from = get("MAIL_FROM", "redis-hack <noreply@localhost>");
        if !mail_from.contains('@') {
            return Err(ConfigError {
                var: "MAIL_FROM",
                reason: format!(
                    "'{mail_from}' is not a mailbox like 'redis-hack <alerts@example.com>'"
                ),
            });
        }
        let public_url = get("PUBLIC_URL", &format!("http://{bind_addr}"));
        check_scheme("PUBLIC_URL", &public_url, &["http://", "https://"])?;
        let cowin_api_url = get("COWIN_API_URL", "https://cdn-api.co-vin.in/api/v2");
        check_scheme("COWIN_API_URL", &cowin_api_url, &["http://", "https://"])?;
        let limit = get("RATE_LIMIT_IP_PER_HOUR", "30");
        let rate_limit_ip_per_hour = limit.parse().ok().filter(|n| *n > 0).ok_or(ConfigError {
            var: "RATE_LIMIT_IP_PER_HOUR",
            reason: format!("'{limit}' is not a positive whole number"),
        })?;
        let poll = poll_config(&get)?;
        let delivery = DeliveryConfig::from_get(&get)?;
        Ok(Self {
            poll,
            delivery,
            bind_addr,
            redis_url: Secret::new(redis_url),
            key_prefix: get("REDIS_KEY_PREFIX", "rh:"),
            smtp_url: Secret::new(smtp_url),
            smtp_username: var("SMTP_USERNAME").filter(|v| !v.is_empty()),
            smtp_password: var("SMTP_PASSWORD")
                .filter(|v| !v.is_empty())
                .map(Secret::new),
            mail_from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            cowin_api_url: cowin_api_url.trim_end_matches('/').to_owned(),
            rate_limit_ip_per_hour,
        })
    }
}

fn poll_config(get: &impl Fn(&str, &str) -> String) -> Result<PollConfig, ConfigError> {
    let duration = |var: &'static str, default: &str| -> Result<Duration, ConfigError> {
        let raw = get(var, default);
        parse_duration(&raw)
            .filter(|d| !d.is_zero())
            .ok_or(ConfigError {
                var,
                reason: format!("'{raw}' is not a duration like 60s, 5m or 1h"),
            })
    };
    let raw = get("POLL_BUDGET", "100/300s");
    let budget = Budget::parse(&raw).map_err(|reason| ConfigError {
        var: "POLL_BUDGET",
        reason,
    })?;
    let (min_interval, max_interval) = (
        duration("POLL_MIN_INTERVAL", "60s")?,
        duration("POLL_MAX_INTERVAL", "30m")?,
    );
    if max_interval < min_interval {
        return Err(ConfigError {
            var: "POLL_MAX_INTERVAL",
            reason: "must not be shorter than POLL_MIN_INTERVAL".into(),
        });
    }
    let raw = get("ALERT_MARGIN", "2");
    let margin = raw.parse().map_err(|_| ConfigError {
        var: "ALERT_MARGIN",
        reason: format!("'{raw}' is not a whole number of slots"),
    })?;
    let realert = duration("ALERT_REALERT_INTERVAL", "10m")?;
    Ok(PollConfig {
        budget,
        min_interval,
        max_interval,
        rules: Rules { margin, realert },
    })
}

fn check_scheme(var: &'static str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    if schemes.iter().any(|s| value.starts_with(s)) {
        Ok(())
    } else {
        Err(ConfigError {
            var,
            reason: format!("must start with one of {}", schemes.join(", ")),
        })
    }
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
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = settings(&[("SMTP_URL", "smtps://user:hunter2@mail.example.com")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
