//! `GET /healthz`: the process is up and serving.

use crate::state::AppState;
use axum::{Json, Router, routing::get};
use redis_hack_shared::HealthResponse;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
    })
}
