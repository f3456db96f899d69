//! Request extractors that turn every rejection into an `ApiError`: a JSON
//! body (400 naming what is wrong, 413, 415), the bearer-token user, and the
//! client IP used for rate limits.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use redis_hack_shared::UserId;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Largest accepted request body; every valid request is far smaller.
pub const BODY_LIMIT: usize = 16 * 1024;

/// `axum::Json` with errors in the project's error body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let text = clean(&e.body_text());
            unprocessable(&text).unwrap_or_else(|| ApiError::bad_request("invalid_body", text))
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {}", clean(&e.body_text())),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "send the body as JSON with 'Content-Type: application/json'".into(),
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge { limit: BODY_LIMIT }
        }
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// Quiet hours or a time zone that are well-formed JSON strings but mean
/// nothing (`25:00-07:00`, `Mars/Olympus`): 422, naming the field.
fn unprocessable(text: &str) -> Option<ApiError> {
    let code = match text.split_once(": ")?.0 {
        "quiet" => "invalid_quiet",
        "tz" => "invalid_tz",
        _ => return None,
    };
    let message = text.rsplit_once(" at line ").map_or(text, |(m, _)| m);
    Some(ApiError::Unknown {
        code,
        message: message.to_owned(),
        suggestions: Vec::new(),
    })
}

/// axum wraps serde's message in a generic sentence; keep serde's part, which
/// names the field and the problem.
fn clean(text: &str) -> String {
    let text = [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
    ]
    .iter()
    .find_map(|prefix| text.strip_prefix(prefix))
    .unwrap_or(text);
    text.to_owned()
}

/// The user behind a valid `Authorization: Bearer` token. Every request
/// that shows the token keeps it alive for another `TOKEN_TTL`.
pub struct AuthUser {
    pub uid: UserId,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(token) = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Err(ApiError::unauthorized(
                "missing_token",
                "this needs an 'Authorization: Bearer <token>' header; get a token with register and verify",
            ));
        };
        let token_hash = hash_token(token);
        match app.store.token(&token_hash, app.settings.token_ttl).await? {
            Some(info) => Ok(Self {
                uid: info.uid,
                token_hash,
            }),
            None => Err(ApiError::unauthorized(
                "invalid_token",
                "the token is not valid (it expired unused, was revoked, or was never issued); verify your email again",
            )),
        }
    }
}

/// SHA-256 of a bearer token, hex: what the store keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The peer address of the connection (rate limits count per client IP).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(ip))
    }
}
