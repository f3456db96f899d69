//! HTTP conditional GET: answer 304 when the client's `If-None-Match` (or,
//! without it, `If-Modified-Since`) shows it already has this representation.
//! The validators come either from the body (a digest of it) or, where a
//! stored version tells whether anything changed, from that version alone, so
//! the 304 is decided before the body is built.

use crate::store::Version;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::{Duration, UNIX_EPOCH};

/// The request headers of a conditional GET, for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: `Stamp::matches` reads the headers
pub struct Validators {
    /// An ETag from an earlier answer: 304 if the representation still has it.
    #[param(rename = "If-None-Match")]
    if_none_match: Option<String>,
    /// A Last-Modified from an earlier answer (ignored when If-None-Match is sent).
    #[param(rename = "If-Modified-Since")]
    if_modified_since: Option<String>,
}

/// A representation's validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The ETag, quoted (`"..."`, or `W/"..."` when weak).
    pub etag: String,
    /// Last-Modified, seconds since the epoch.
    pub modified_secs: u64,
    /// Whether the representation changed only once during that second, so
    /// that an `If-Modified-Since` naming it exactly may be answered 304
    /// (RFC 9110 8.8.2.2: otherwise a date is too coarse to tell two
    /// versions of that second apart).
    pub settled: bool,
}

impl Stamp {
    /// A strong ETag derived from the body, for a representation whose
    /// last change `modified_secs` is known to second precision.
    pub fn of_body(body: &str, modified_secs: u64) -> Self {
        Self {
            etag: format!("\"{}\"", digest(body.as_bytes())),
            modified_secs,
            settled: true,
        }
    }

    /// Validators from a stored version, for a representation that changes
    /// only when the version does (`salt` names the representation, so a
    /// server that renders it differently gives other ETags). Weak: what
    /// the version does not count (the poll times in `list`) may differ.
    pub fn of_version(version: &Version, salt: &str) -> Self {
        let key = format!("{salt}|{}", version.at_ms);
        Self {
            etag: format!("W/\"{}\"", digest(key.as_bytes())),
            modified_secs: version.at_ms / 1000,
            settled: !version.crowded,
        }
    }

    /// Whether `request`'s conditions say the client already has this.
    pub fn matches(&self, request: &HeaderMap) -> bool {
        match request.get(header::IF_NONE_MATCH) {
            // RFC 9110: If-None-Match wins over If-Modified-Since when both are sent.
            Some(inm) => inm.to_str().is_ok_and(|v| etag_matches(v, &self.etag)),
            None => request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| self.unchanged_since(since.as_secs())),
        }
    }

    fn unchanged_since(&self, since_secs: u64) -> bool {
        self.modified_secs < since_secs || (self.modified_secs == since_secs && self.settled)
    }

    /// A bodiless 304 carrying these validators.
    pub fn not_modified(&self, cache_control: &'static str) -> Response {
        self.stamp(StatusCode::NOT_MODIFIED.into_response(), cache_control)
    }

    /// A JSON body carrying these validators.
    pub fn json(&self, body: String, cache_control: &'static str) -> Response {
        let response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        self.stamp(response, cache_control)
    }

    fn stamp(&self, mut response: Response, cache_control: &'static str) -> Response {
        let last_modified =
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(self.modified_secs));
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
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
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))[..20].to_owned()
}

/// A strong ETag derived from the body.
pub fn etag_of(body: &str) -> String {
    Stamp::of_body(body, 0).etag
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
    let stamp = Stamp {
        etag: etag.to_owned(),
        modified_secs,
        settled: true,
    };
    match stamp.matches(request) {
        true => stamp.not_modified(cache_control),
        false => stamp.json(body, cache_control),
    }
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

    fn since(secs: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
        h.insert(header::IF_MODIFIED_SINCE, date.parse().unwrap());
        h
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("\"b\"", "W/\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"c\"", "\"b\""));
    }

    #[test]
    fn if_modified_since_at_or_after_the_change_gives_304() {
        let h = since(1_000);
        let r = conditional_json(&h, "{}".into(), "\"x\"", 1_000, "no-cache");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = conditional_json(&h, "{}".into(), "\"x\"", 1_001, "no-cache");
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn a_version_changed_twice_in_its_second_is_not_matched_by_that_second() {
        let once = Version {
            at_ms: 1_000_500,
            crowded: false,
        };
        let twice = Version {
            crowded: true,
            ..once
        };
        assert!(Stamp::of_version(&once, "r").matches(&since(1_000)));
        assert!(!Stamp::of_version(&twice, "r").matches(&since(1_000)));
        assert!(Stamp::of_version(&twice, "r").matches(&since(1_001)));
        assert!(!Stamp::of_version(&once, "r").matches(&since(999)));
    }

    #[test]
    fn version_etags_are_weak_and_differ_by_version_and_representation() {
        let v = Version {
            at_ms: 5_000,
            crowded: false,
        };
        let next = Version {
            at_ms: 5_001,
            crowded: true,
        };
        let a = Stamp::of_version(&v, "r1").etag;
        assert!(a.starts_with("W/\""), "{a}");
        assert_eq!(a, Stamp::of_version(&v, "r1").etag);
        assert_ne!(a, Stamp::of_version(&next, "r1").etag);
        assert_ne!(a, Stamp::of_version(&v, "r2").etag);
    }
}
