//! HTTP conditional GET: answer 304 when the client's `If-None-Match` (or,
//! without it, `If-Modified-Since`) shows it already has this representation.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::{Duration, UNIX_EPOCH};

/// The request headers of a conditional GET, for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: `conditional_json` reads the headers
pub struct Validators {
    /// An ETag from an earlier answer: 304 if the representation still has it.
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
    /// A Last-Modified from an earlier answer (ignored when If-None-Match is sent).
    #[param(rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}

/// A strong ETag derived from the body.
pub fn etag_of(body: &str) -> String {
    format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..20]
    )
}

/// A JSON body with `ETag`, `Last-Modified` and `Cache-Control`, or a bodiless
/// 304 carrying the same validators when the request's conditions match.
pub fn conditional_json(
    request: &HeaderMap,
    body: String,
    etag: &str,
    modified_secs: u64,
    cache_control: &'static str,
) -> Response {
    let last_modified = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(modified_secs));
    let not_modified = match request.get(header::IF_NONE_MATCH) {
        // RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
        Some(inm) => inm.to_str().is_ok_and(|v| etag_matches(v, etag)),
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .is_some_and(|since| modified_secs <= since.as_secs()),
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// Weak comparison, as RFC 9110 prescribes for If-None-Match.
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"c\"", "\"b\""));
    }

    #[test]
    fn if_modified_since_at_or_after_the_change_gives_304() {
        let mut h = HeaderMap::new();
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_000));
        h.insert(header::IF_MODIFIED_SINCE, date.parse().unwrap());
        let r = conditional_json(&h, "{}".into(), "\"x\"", 1_000, "no-cache");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = conditional_json(&h, "{}".into(), "\"x\"", 1_001, "no-cache");
        assert_eq!(r.status(), StatusCode::OK);
    }
}
