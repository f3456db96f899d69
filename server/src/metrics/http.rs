//! The HTTP latency middleware: one observation per request, labelled with
//! the method, the route template (axum's `MatchedPath`, `unmatched` for a
//! path no route serves) and the status code. Never the raw path: an
//! unsubscribe link's token is part of it.

use super::METRICS;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::histogram::Histogram;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct RequestLabel {
    method: &'static str,
    route: String,
    status: String,
}

pub(super) fn buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// Times each request: layer it with `axum::middleware::from_fn(track_http)`
/// on the router (so `MatchedPath` is known when it runs).
pub async fn track_http(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let label = RequestLabel {
        method,
        route,
        status: response.status().as_u16().to_string(),
    };
    METRICS
        .http
        .get_or_create(&label)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; any other (a client may send anything) is `OTHER`.
fn method(m: &Method) -> &'static str {
    [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
    ]
    .into_iter()
    .find(|(known, _)| known == m)
    .map_or("OTHER", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_method_is_other_so_labels_stay_few() {
        assert_eq!(method(&Method::DELETE), "DELETE");
        assert_eq!(method(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
