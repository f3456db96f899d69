//! The HTTP side of a webhook delivery: a signed POST through a client that
//! follows no redirects, times out, and resolves host names through the SSRF
//! guard, so every address a name resolves to is checked at delivery time
//! (and the connection goes to a checked address: no second lookup to race).
//! The environment's proxy (`HTTP_PROXY`, ...) is never used: it would skip
//! that resolver. Through an explicit `WEBHOOK_PROXY` the proxy connects, so
//! the name is resolved and checked here first, and refused if any address
//! is not public.

use super::guard::{GuardError, check_address};
use super::sign::Secret;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A 2xx answer.
    Delivered(u16),
    /// 410 Gone: the receiver wants no more.
    Gone,
    /// Worth another try (timeout, connection error, 429, 5xx), maybe not before `after`.
    Retry {
        result: String,
        after: Option<Duration>,
    },
    /// Will not work by retrying (refused by the guard, a 4xx other than 410 and 429).
    Failed(String),
}

#[derive(Clone)]
pub struct HookClient {
    http: reqwest::Client,
    allow_private: bool,
    /// Whether deliveries go through `WEBHOOK_PROXY` (which resolves names itself).
    proxied: bool,
}

impl HookClient {
    /// A client that connects directly, whatever proxy the environment names.
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        Self::with_proxy(timeout, allow_private, None)
    }

    /// A client that sends every delivery through `proxy` (`WEBHOOK_PROXY`),
    /// or directly when there is none.
    pub fn with_proxy(
        timeout: Duration,
        allow_private: bool,
        proxy: Option<&str>,
    ) -> anyhow::Result<Self> {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout);
        // Through a proxy, the only name resolved here is the proxy's own
        // (often private, and trusted): targets are checked in `deliver`.
        let builder = match proxy {
            Some(url) => builder.proxy(reqwest::Proxy::all(url)?),
            None => builder
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver { allow_private })),
        };
        Ok(Self {
            http: builder.build()?,
            allow_private,
            proxied: proxy.is_some(),
        })
    }

    /// POSTs `body` to `url`, signed with `secret` under `msg_id`.
    pub async fn deliver(&self, url: &str, secret: &Secret, msg_id: &str, body: &str) -> Delivery {
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Delivery::Failed(format!("refused: bad URL: {e}")),
        };
        // A literal address is never looked up, so the resolver cannot see it.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        if let Some(ip) = literal
            && let Err(e) = check_address(ip, self.allow_private)
        {
            return Delivery::Failed(format!("refused: {e}"));
        }
        // The proxy resolves the name, so our resolver would never see it.
        if self.proxied
            && literal.is_none()
            && !self.allow_private
            && let Some(host) = parsed.host_str()
            && let Err(e) = resolve_checked(host, false).await
        {
            return match e.downcast_ref::<GuardError>() {
                Some(refusal) => Delivery::Failed(format!("refused: {refusal}")),
                None => Delivery::Retry {
                    result: format!("connection failed: {e}"),
                    after: None,
                },
            };
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let sent = self
            .http
            .post(parsed)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "redis-hack-webhooks/1")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", now.to_string())
            .header(
                "webhook-signature",
                secret.sign(msg_id, now, body.as_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(r) => classify(r.status().as_u16(), retry_after(r.headers())),
            Err(e) => match guard_error(&e) {
                Some(refusal) => Delivery::Failed(format!("refused: {refusal}")),
                None if e.is_timeout() => Delivery::Retry {
                    result: "timeout".into(),
                    after: None,
                },
                None => Delivery::Retry {
                    result: format!("connection failed: {}", root_cause(&e)),
                    after: None,
                },
            },
        }
    }
}

fn classify(status: u16, after: Option<Duration>) -> Delivery {
    match status {
        200..=299 => Delivery::Delivered(status),
        410 => Delivery::Gone,
        429 | 500..=599 => Delivery::Retry {
            result: status.to_string(),
            after,
        },
        300..=399 => Delivery::Failed(format!("{status} (redirects are not followed)")),
        _ => Delivery::Failed(status.to_string()),
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(raw).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

fn guard_error(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(g) = err.downcast_ref::<GuardError>() {
            return Some(g.to_string());
        }
        source = err.source();
    }
    None
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Resolves with the system resolver, then refuses the name if any address is
/// not public (unless private addresses are allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve_checked(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Every address `host` resolves to, or an error when one of them is not public.
async fn resolve_checked(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    for a in &addrs {
        check_address(a.ip(), allow_private)?;
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_the_retry_rules_say() {
        assert_eq!(classify(204, None), Delivery::Delivered(204));
        assert_eq!(classify(410, None), Delivery::Gone);
        let wait = Some(Duration::from_secs(30));
        for retry in [429, 500, 503] {
            assert!(
                matches!(classify(retry, wait), Delivery::Retry { after, .. } if after == wait)
            );
        }
        for fail in [301, 400, 401, 404] {
            assert!(
                matches!(classify(fail, None), Delivery::Failed(_)),
                "{fail}"
            );
        }
    }
}
