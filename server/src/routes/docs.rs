//! `GET /openapi.json`: the OpenAPI document of everything this server serves.

use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document: every endpoint, its answers and its authentication.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document",
        content_type = "application/json", body = Object)))]
async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::json(),
    )
}
