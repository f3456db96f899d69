//! The HTTP API: one `router()` per resource, merged here under `/v1`, with
//! JSON answers for unknown paths and methods and a request body limit.

mod account;
mod conditional;
mod health;
mod locations;
mod secrets;
mod slots;
mod status;
mod subscriptions;
mod topics;
mod unsubscribe;

use crate::error::ApiError;
use crate::extract::BODY_LIMIT;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .merge(locations::router())
        .merge(account::router())
        .merge(subscriptions::router())
        .merge(status::router())
        .merge(slots::router())
        .merge(topics::router());
    Router::new()
        .merge(health::router())
        .merge(unsubscribe::router())
        .nest("/v1", v1)
        .fallback(|| async {
            ApiError::NotFound("there is no such endpoint; the API lives under /v1".into())
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
