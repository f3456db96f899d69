//! `POST /v1/topics/{topic}/openings`: a publisher announces an opening. The
//! caller proves it is a publisher with `Authorization: Bearer KEY`, one of
//! `PUBLISHER_KEYS`, compared in constant time. Answers 202 with how many
//! users an alert was queued for; an opening id already announced on the
//! topic is accepted again but queues nothing (`duplicate: true`).

use crate::alerts::publish::publish;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use redis_hack_shared::{ErrorBody, Opening, PublishResponse, TopicName};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(publish_opening))
}

/// A publisher announces an opening to everyone watching the topic.
#[utoipa::path(post, path = "/topics/{topic}/openings", tag = "publishers",
    security(("publisher_key" = [])),
    params(("topic" = TopicName, Path, description = "The topic users subscribed to")),
    request_body = Opening,
    responses(
        (status = 202, description = "Queued for everyone watching; an id seen before queues nothing (`duplicate`)",
            body = PublishResponse),
        (status = 400, description = "The body or the topic name is invalid", body = ErrorBody),
        (status = 401, description = "No publisher key, or one this server does not know", body = ErrorBody),
        (status = 403, description = "Publishing is off on this server (no PUBLISHER_KEYS)", body = ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "The body was not sent as application/json", body = ErrorBody),
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(%topic))]
async fn publish_opening(
    State(app): State<AppState>,
    ApiPath(topic): ApiPath<String>,
    _: Publisher,
    ApiJson(opening): ApiJson<Opening>,
) -> Result<(StatusCode, Json<PublishResponse>), ApiError> {
    let topic = TopicName::parse(&topic)
        .map_err(|e| ApiError::bad_request("invalid_topic", e.to_string()))?;
    let answer = publish(&app.store, &topic, &opening).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// A caller that showed a publisher key. As an extractor it runs before the
/// body is read, so a caller without a key learns nothing about the body.
struct Publisher;

impl FromRequestParts<AppState> for Publisher {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        authorize(app, &parts.headers).map(|()| Self)
    }
}

fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let keys = &app.settings.delivery.publisher_keys;
    if keys.is_empty() {
        return Err(ApiError::Forbidden {
            code: "publishing_disabled",
            message: "this server accepts no publishers (PUBLISHER_KEYS is not set)".into(),
        });
    }
    let given = crate::extract::bearer(headers).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_publisher_key",
            "send the publisher key as 'Authorization: Bearer KEY'",
        )
    })?;
    // Digests first, so the comparison takes the same time whatever the lengths.
    let given = Sha256::digest(given.trim().as_bytes());
    let known = keys.iter().fold(false, |found, k| {
        found | bool::from(Sha256::digest(k.expose().as_bytes()).ct_eq(&given))
    });
    if known {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            "invalid_publisher_key",
            "the publisher key is not one this server knows",
        ))
    }
}
