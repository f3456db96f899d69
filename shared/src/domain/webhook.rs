//! Webhook URLs as a user gives them. Only the shape is checked here (http or
//! https, a host, no credentials); whether the host may be reached is decided
//! by the server when it delivers, after resolving the name.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{url}' is not a usable webhook URL: {reason}")]
pub struct WebhookUrlError {
    pub url: String,
    pub reason: &'static str,
}

/// An absolute `http://` or `https://` URL with a host and no user info, at
/// most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        let s = raw.trim();
        let fail = |reason| {
            Err(WebhookUrlError {
                url: s.chars().take(100).collect(),
                reason,
            })
        };
        if s.len() > 2048 {
            return fail("it is longer than 2048 characters");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("it contains spaces or control characters");
        }
        let lower = s.to_ascii_lowercase();
        let Some(rest) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
        else {
            return fail("only http:// and https:// URLs are allowed");
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return fail("user names and passwords in the URL are not allowed");
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        if host.is_empty() {
            return fail("it has no host");
        }
        if s.contains('#') {
            return fail("a fragment (#...) is never sent; remove it");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = WebhookUrlError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WebhookUrl> for String {
    fn from(value: WebhookUrl) -> Self {
        value.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        for good in [
            "https://example.com/hook",
            "http://127.0.0.1:9000/x?y=1",
            "https://[::1]:8443/",
        ] {
            assert_eq!(WebhookUrl::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn other_shapes_are_refused_with_the_reason() {
        for (bad, why) in [
            ("ftp://example.com/", "only http"),
            ("example.com/hook", "only http"),
            ("https:///path", "no host"),
            ("https://user:pw@example.com/", "passwords"),
            ("https://example.com/a b", "spaces"),
            ("https://example.com/#frag", "fragment"),
        ] {
            let e = WebhookUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
