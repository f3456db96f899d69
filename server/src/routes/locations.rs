//! `GET /v1/states` and `GET /v1/states/{state_id}/districts`, served from
//! the Redis cache with ETag / Last-Modified and 304s.

use super::conditional::conditional_json;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Router, routing::get};

const CACHE_CONTROL: &str = "public, max-age=3600";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/states", get(states))
        .route("/states/{state_id}/districts", get(districts))
}

#[tracing::instrument(skip_all)]
async fn states(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let doc = app.locations.states_doc().await?;
    Ok(conditional_json(
        &headers,
        doc.body,
        &doc.etag,
        doc.fetched_at,
        CACHE_CONTROL,
    ))
}

#[tracing::instrument(skip(app, headers))]
async fn districts(
    State(app): State<AppState>,
    Path(state_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let state_id: u32 = state_id.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_state_id",
            format!("'{state_id}' is not a state id; ids are whole numbers"),
        )
    })?;
    let doc = app.locations.districts_doc(state_id).await?;
    Ok(conditional_json(
        &headers,
        doc.body,
        &doc.etag,
        doc.fetched_at,
        CACHE_CONTROL,
    ))
}
