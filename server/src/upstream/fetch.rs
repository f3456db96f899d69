//! One upstream GET with everything the API's etiquette asks for: validators
//! sent back (`If-None-Match` / `If-Modified-Since`) so an unchanged answer is
//! a bodiless 304, a size cap while reading, and `Retry-After` kept from a
//! 403 or 429 so the caller can back off.

use super::{CowinClient, MAX_BODY, UpstreamError};
use reqwest::{StatusCode, header};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// What the upstream said identifies the version we hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub enum Fetch {
    /// 304: what we hold is current; nothing to parse.
    NotModified,
    Body {
        bytes: Vec<u8>,
        validators: Validators,
        /// The upstream's `Date` header: how old the data is by its clock.
        date: Option<String>,
    },
}

impl CowinClient {
    /// GETs `path` (with its query) from the base URL, conditionally on `known`.
    pub(super) async fn fetch(
        &self,
        path: &str,
        known: &Validators,
    ) -> Result<Fetch, UpstreamError> {
        let mut request = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::ACCEPT, "application/json");
        if let Some(etag) = &known.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &known.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }
        let response = request.send().await?;
        let status = response.status();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetch::NotModified);
        }
        if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = header_text(header::RETRY_AFTER);
            return Err(UpstreamError::RateLimited {
                status,
                retry_after: retry_after.as_deref().and_then(parse_retry_after),
            });
        }
        if !status.is_success() {
            return Err(UpstreamError::Status(status));
        }
        let validators = Validators {
            etag: header_text(header::ETAG),
            last_modified: header_text(header::LAST_MODIFIED),
        };
        let date = header_text(header::DATE);
        Ok(Fetch::Body {
            bytes: read_capped(response).await?,
            validators,
            date,
        })
    }
}

/// The body, refused once it passes `MAX_BODY` (read chunk by chunk, so a
/// huge answer is never held whole).
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_BODY)
    {
        return Err(UpstreamError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > MAX_BODY {
            return Err(UpstreamError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// `Retry-After` is either seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
        let d = parse_retry_after(&soon).unwrap();
        assert!(
            d <= Duration::from_secs(90) && d >= Duration::from_secs(85),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
