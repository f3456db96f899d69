//! The HTTP API: one `router()` per resource, merged here under `/v1`, with
//! JSON answers for unknown paths and methods and a request body limit.
//! Every route is registered through utoipa-axum, so the OpenAPI document
//! (`docs`) lists exactly what is served.

mod account;
mod codes;
mod conditional;
mod docs;
mod errors;
mod events;
mod health;
mod limits;
mod locations;
mod rearm;
mod secrets;
mod slots;
mod status;
pub(crate) mod subscriptions;
mod topics;
mod unsubscribe;

use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::{Extension, Router};
use std::sync::OnceLock;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

/// Every route with its documentation; `router` serves it, `openapi` prints it.
pub fn documented() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(locations::router())
        .merge(account::router())
        .merge(subscriptions::router())
        .merge(rearm::router())
        .merge(status::router())
        .merge(slots::router())
        .merge(topics::router())
        .merge(events::router());
    OpenApiRouter::with_openapi(docs::frame())
        .merge(health::router())
        .merge(docs::router())
        .merge(unsubscribe::router())
        .nest("/v1", v1)
}

/// The whole OpenAPI document as pretty JSON, built once.
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| docs::to_json(&documented().into_openapi()))
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (router, _) = documented().split_for_parts();
    let doc = docs::Document(openapi_json());
    finish(router.layer(Extension(doc)), state)
}

/// What a process without the API serves on `BIND_ADDR` (the poller and
/// worker roles): health, readiness and metrics.
pub fn ops_router(state: AppState) -> Router {
    let (router, _) = OpenApiRouter::new()
        .merge(health::router())
        .split_for_parts();
    finish(router, state)
}

fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async {
            ApiError::NotFound("there is no such endpoint; the API lives under /v1".into())
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        // The span names the route, not the URI: an unsubscribe link's token
        // is part of its path and must never reach a log line.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("http", method = %req.method(), route)
        }))
        .with_state(state)
}
