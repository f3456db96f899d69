//! Conditional GETs the way the CoWIN CDN answered them: every JSON body goes
//! out with a strong `ETag` (a hash of the bytes) and a `Last-Modified`, and a
//! client that already holds that version gets a bodiless 304. Kept apart from
//! the resources so later ones (appointment sessions) answer the same way.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

/// The strong validator of `body`: the first 128 bits of its SHA-256, quoted.
pub fn etag_of(body: &str) -> String {
    format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    )
}

/// `body` as `application/json` with its validators, or 304 when the request's
/// `If-None-Match` / `If-Modified-Since` show the client already has it.
pub fn json_response(request: &HeaderMap, body: &str, last_modified: SystemTime) -> Response {
    let etag = etag_of(body);
    let mut response = if is_fresh(request, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_owned(),
        )
            .into_response()
    };
    // A 304 repeats the validators (RFC 9110 §15.4.5) so clients can refresh theirs.
    let headers = response.headers_mut();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("a quoted hex string is a valid header value"),
    );
    headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&httpdate::fmt_http_date(last_modified))
            .expect("an HTTP date is a valid header value"),
    );
    response
}

/// RFC 9110 §13.2.2: `If-None-Match` wins when present; `If-Modified-Since`
/// is only consulted without it. If-None-Match compares weakly, so a `W/`
/// prefix a proxy may have added still matches.
fn is_fresh(request: &HeaderMap, etag: &str, last_modified: SystemTime) -> bool {
    if let Some(tags) = header_str(request, header::IF_NONE_MATCH) {
        return tags
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag);
    }
    header_str(request, header::IF_MODIFIED_SINCE)
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .is_some_and(|since| last_modified <= since)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const MODIFIED: Duration = Duration::from_secs(1_700_000_000);

    fn request(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    fn status(pairs: &[(header::HeaderName, &str)]) -> StatusCode {
        json_response(&request(pairs), "{}", UNIX_EPOCH + MODIFIED).status()
    }

    #[test]
    fn the_etag_is_strong_and_changes_with_the_body() {
        assert!(etag_of("{}").starts_with('"') && !etag_of("{}").starts_with("W/"));
        assert_ne!(etag_of("{}"), etag_of("[]"));
    }

    #[test]
    fn a_request_without_validators_gets_the_body() {
        assert_eq!(status(&[]), StatusCode::OK);
    }

    #[test]
    fn a_matching_or_weakened_or_wildcard_etag_gets_304() {
        let tag = etag_of("{}");
        assert_eq!(
            status(&[(header::IF_NONE_MATCH, &tag)]),
            StatusCode::NOT_MODIFIED
        );
        let listed = format!("\"old\", W/{tag}");
        assert_eq!(
            status(&[(header::IF_NONE_MATCH, &listed)]),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            status(&[(header::IF_NONE_MATCH, "*")]),
            StatusCode::NOT_MODIFIED
        );
    }

    #[test]
    fn a_stale_etag_gets_the_body_even_with_a_fresh_date() {
        let date = httpdate::fmt_http_date(UNIX_EPOCH + MODIFIED);
        let pairs = [
            (header::IF_NONE_MATCH, "\"old\""),
            (header::IF_MODIFIED_SINCE, date.as_str()),
        ];
        assert_eq!(status(&pairs), StatusCode::OK);
    }

    #[test]
    fn if_modified_since_is_fresh_from_the_last_modified_second_on() {
        let at = httpdate::fmt_http_date(UNIX_EPOCH + MODIFIED);
        let before = httpdate::fmt_http_date(UNIX_EPOCH + MODIFIED - Duration::from_secs(1));
        assert_eq!(
            status(&[(header::IF_MODIFIED_SINCE, &at)]),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            status(&[(header::IF_MODIFIED_SINCE, &before)]),
            StatusCode::OK
        );
        assert_eq!(
            status(&[(header::IF_MODIFIED_SINCE, "yesterday")]),
            StatusCode::OK
        );
    }
}
