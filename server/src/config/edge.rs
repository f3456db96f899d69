//! Settings for facing the open internet: connection timeouts and the
//! connection cap, which proxies may name the client, the operator key, the
//! verify limit, how long unsubscribe links work, and the webhooks' egress proxy.

use super::vars::Vars;
use super::{ConfigError, Secret};
use crate::net::Cidr;
use std::time::Duration;

/// `HEADER_READ_TIMEOUT`, `IDLE_TIMEOUT`, `MAX_CONNECTIONS`, `TRUSTED_PROXIES`,
/// `OPERATOR_KEY`, `VERIFY_LIMIT_IP_PER_HOUR`, `UNSUBSCRIBE_LINK_TTL`, `WEBHOOK_PROXY`.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// `HEADER_READ_TIMEOUT` (30s): a connection that has not sent a whole
    /// request header this long after it opened (or after its last answer) is closed.
    pub header_read_timeout: Duration,
    /// `IDLE_TIMEOUT` (60s): a keep-alive connection idle this long between requests is closed.
    pub idle_timeout: Duration,
    /// `MAX_CONNECTIONS` (10000): connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// `TRUSTED_PROXIES`: comma-separated address blocks whose `X-Forwarded-For`
    /// / `Forwarded` headers name the client (none: the peer is the client).
    pub trusted_proxies: Vec<Cidr>,
    /// `OPERATOR_KEY`: when set, `/v1/status` and `/metrics` need it as a bearer token.
    pub operator_key: Option<Secret>,
    /// `VERIFY_LIMIT_IP_PER_HOUR` (100): verify attempts one client may make per hour.
    pub verify_limit_ip_per_hour: u32,
    /// `UNSUBSCRIBE_LINK_TTL` (60d): how long an emailed unsubscribe link works.
    pub unsubscribe_link_ttl: Duration,
    /// `WEBHOOK_PROXY`: an egress proxy (e.g. smokescreen) for webhook
    /// deliveries (may hold credentials); none: they go direct (the
    /// environment's `HTTP_PROXY` is never used).
    pub webhook_proxy: Option<Secret>,
}

impl EdgeConfig {
    pub(super) fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let trusted_proxies = vars
            .get("TRUSTED_PROXIES", "")
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Cidr::parse)
            .collect::<Result<_, _>>()
            .map_err(|reason| ConfigError {
                var: "TRUSTED_PROXIES",
                reason,
            })?;
        let operator_key = vars.optional("OPERATOR_KEY").map(|k| k.trim().to_owned());
        if operator_key.as_ref().is_some_and(|k| k.len() < 16) {
            return Err(ConfigError {
                var: "OPERATOR_KEY",
                reason: "must be at least 16 characters".into(),
            });
        }
        let webhook_proxy = match vars.optional("WEBHOOK_PROXY") {
            Some(p) => Some(Secret::new(vars.url(
                "WEBHOOK_PROXY",
                &p,
                &["http://", "https://"],
            )?)),
            None => None,
        };
        Ok(Self {
            header_read_timeout: vars.positive_duration("HEADER_READ_TIMEOUT", "30s")?,
            idle_timeout: vars.positive_duration("IDLE_TIMEOUT", "60s")?,
            max_connections: vars.positive("MAX_CONNECTIONS", "10000")? as usize,
            trusted_proxies,
            operator_key: operator_key.map(Secret::new),
            verify_limit_ip_per_hour: vars.positive("VERIFY_LIMIT_IP_PER_HOUR", "100")?,
            unsubscribe_link_ttl: vars.positive_duration("UNSUBSCRIBE_LINK_TTL", "60d")?,
            webhook_proxy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(pairs: &[(&str, &str)]) -> Result<EdgeConfig, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        EdgeConfig::from_vars(&Vars::new(&lookup))
    }

    #[test]
    fn defaults_close_slow_connections_and_trust_no_proxy() {
        let e = edge(&[]).unwrap();
        assert_eq!(e.header_read_timeout, Duration::from_secs(30));
        assert_eq!(e.idle_timeout, Duration::from_secs(60));
        assert_eq!(e.max_connections, 10_000);
        assert!(e.trusted_proxies.is_empty() && e.operator_key.is_none());
        assert_eq!(e.verify_limit_ip_per_hour, 100);
        assert_eq!(e.unsubscribe_link_ttl, Duration::from_secs(60 * 86_400));
        assert!(e.webhook_proxy.is_none());
        let e = edge(&[("TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")]).unwrap();
        assert_eq!(e.trusted_proxies.len(), 2);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (var, bad) in [
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("OPERATOR_KEY", "short"),
            ("WEBHOOK_PROXY", "socks5://proxy:1080"),
            ("HEADER_READ_TIMEOUT", "0s"),
            ("MAX_CONNECTIONS", "0"),
            ("UNSUBSCRIBE_LINK_TTL", "forever"),
        ] {
            assert_eq!(edge(&[(var, bad)]).unwrap_err().var, var, "{var}={bad}");
        }
    }

    #[test]
    fn the_operator_key_and_proxy_do_not_show_in_debug_output() {
        let e = edge(&[
            ("OPERATOR_KEY", "operator-key-hunter2"),
            ("WEBHOOK_PROXY", "http://user:hunter3@proxy:4750"),
        ])
        .unwrap();
        let shown = format!("{e:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
    }
}
