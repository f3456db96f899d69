//! `GET /v1/states` and `GET /v1/states/{state_id}/districts`, served from
//! the Redis cache with ETag / Last-Modified and 304s.

use super::conditional::conditional_json;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use redis_hack_shared::{DistrictsResponse, ErrorBody, StatesResponse};
use utoipa_axum::{router::OpenApiRouter, routes};

const CACHE_CONTROL: &str = "public, max-age=3600";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(states))
        .routes(routes!(districts))
}

/// Every state, from the CoWIN API, cached in Redis for a day.
#[utoipa::path(get, path = "/states", tag = "locations",
    params(super::conditional::Validators),
    responses(
        (status = 200, description = "The states", body = StatesResponse,
            headers(("ETag" = String, description = "Send it back as If-None-Match"), ("Last-Modified" = String, description = "Send it back as If-Modified-Since"))),
        (status = 304, description = "Unchanged since the validators sent",
            headers(("ETag" = String, description = "Send it back as If-None-Match"), ("Last-Modified" = String, description = "Send it back as If-Modified-Since"))),
        super::errors::UpstreamErrors,
        super::errors::StorageErrors,
    ))]
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

/// The districts of one state.
#[utoipa::path(get, path = "/states/{state_id}/districts", tag = "locations",
    params(("state_id" = u32, Path, description = "A state id from `GET /v1/states`"),
        super::conditional::Validators),
    responses(
        (status = 200, description = "The state's districts", body = DistrictsResponse,
            headers(("ETag" = String, description = "Send it back as If-None-Match"), ("Last-Modified" = String, description = "Send it back as If-Modified-Since"))),
        (status = 304, description = "Unchanged since the validators sent",
            headers(("ETag" = String, description = "Send it back as If-None-Match"), ("Last-Modified" = String, description = "Send it back as If-Modified-Since"))),
        (status = 400, description = "The state id is not a number", body = ErrorBody),
        (status = 404, description = "There is no state with this id", body = ErrorBody),
        super::errors::UpstreamErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(%state_id))]
async fn districts(
    State(app): State<AppState>,
    ApiPath(state_id): ApiPath<String>,
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
