//! `GET /v1/slots[?district_id=N]` (bearer): the open sessions in the user's
//! districts from the poller's latest fetch, with ETag / 304. It never calls
//! the upstream, so asking costs no budget.

use super::conditional::{conditional_json, etag_of};
use super::subscriptions::load_user;
use crate::error::ApiError;
use crate::extract::AuthUser;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use redis_hack_shared::{
    DistrictId, DistrictSlots, ErrorBody, SlotsResponse, Subscription, Target, TargetKey, Timestamp,
};
use std::collections::{BTreeMap, HashMap};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(slots))
}

/// Open sessions in the user's districts from the latest poll (no upstream call).
#[utoipa::path(get, path = "/slots", tag = "subscriptions",
    security(("user_token" = [])),
    params(("district_id" = Option<u32>, Query, description = "Only this district (one the user watches)"),
        super::conditional::Validators),
    responses(
        (status = 200, description = "Open sessions per watched district", body = SlotsResponse,
            headers(("ETag" = String, description = "Send it back as If-None-Match"),
                ("Last-Modified" = String, description = "Send it back as If-Modified-Since"))),
        (status = 304, description = "Unchanged since the validators sent",
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 400, description = "district_id is not a number", body = ErrorBody),
        (status = 404, description = "The user does not watch that district", body = ErrorBody),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid))]
async fn slots(
    State(app): State<AppState>,
    user: AuthUser,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let wanted = match query.get("district_id") {
        Some(raw) => Some(raw.parse::<DistrictId>().map_err(|_| {
            ApiError::bad_request(
                "invalid_district_id",
                format!("'{raw}' is not a district id; ids are whole numbers"),
            )
        })?),
        None => None,
    };
    let doc = load_user(&app, &user).await?;
    let mut districts = watched_districts(&doc.subscriptions());
    if let Some(id) = wanted {
        districts.retain(|d, _| *d == id);
        if districts.is_empty() {
            return Err(ApiError::NotFound(format!(
                "you do not watch district {id}; subscribe to it first"
            )));
        }
    }
    let mut out = Vec::new();
    for (district_id, district_name) in districts {
        let latest = app.store.latest(&TargetKey::District(district_id)).await?;
        out.push(DistrictSlots {
            district_id,
            district_name,
            checked_at: latest.checked_at.map(Timestamp::from_ms),
            sessions: latest.sessions,
        });
    }
    let modified = out
        .iter()
        .filter_map(|d| d.checked_at)
        .max()
        .map_or(0, Timestamp::as_ms)
        / 1000;
    let body =
        serde_json::to_string(&SlotsResponse { districts: out }).map_err(anyhow::Error::from)?;
    let etag = etag_of(&body);
    Ok(conditional_json(
        &headers,
        body,
        &etag,
        modified,
        "private, no-cache",
    ))
}

/// The districts among `subscriptions`, by id, with their names.
fn watched_districts(subscriptions: &[Subscription]) -> BTreeMap<DistrictId, String> {
    subscriptions
        .iter()
        .filter_map(|sub| match &sub.target {
            Target::District {
                district_id,
                district_name,
                ..
            } => Some((*district_id, district_name.clone())),
            _ => None,
        })
        .collect()
}
