//! Request extractors that turn every rejection into an `ApiError`: a JSON
//! body (400 naming what is wrong, 413, 415), a path parameter, the
//! bearer-token user, the operator, and the client IP used for rate limits
//! (from forwarding headers only when the peer is in `TRUSTED_PROXIES`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use redis_hack_shared::UserId;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use subtle::ConstantTimeEq;

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
        let Some(token) = bearer(&parts.headers) else {
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

/// The credentials of an `Authorization: Bearer <token>` header; the scheme
/// matches in any case (RFC 9110: `bearer`, `BEARER`).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// An operator: anyone when `OPERATOR_KEY` is unset, otherwise a request
/// showing it as a bearer token (compared in constant time).
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Some(key) = &app.settings.edge.operator_key else {
            return Ok(Self);
        };
        match bearer(&parts.headers) {
            // Digests first, so the comparison takes the same time whatever the lengths.
            Some(given)
                if bool::from(
                    Sha256::digest(given.as_bytes())
                        .ct_eq(&Sha256::digest(key.expose().as_bytes())),
                ) =>
            {
                Ok(Self)
            }
            Some(_) => Err(ApiError::unauthorized(
                "invalid_operator_key",
                "the bearer token is not this server's operator key",
            )),
            None => Err(ApiError::unauthorized(
                "missing_operator_key",
                "this is for operators: send the operator key as 'Authorization: Bearer KEY'",
            )),
        }
    }
}

/// `axum::extract::Path` with its rejection (e.g. a `%ff` that is not UTF-8)
/// in the project's error body.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(_) => Err(ApiError::bad_request(
                "invalid_path",
                "the path is not valid: after percent-decoding it must be UTF-8 text",
            )),
        }
    }
}

/// SHA-256 of a bearer token, hex: what the store keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The client's address: the connection's peer, or, when the peer is one of
/// `TRUSTED_PROXIES`, the address its forwarding headers name (rate limits
/// count per client, an IPv6 client per /64: see `net::limit_id`).
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The id rate limits count this client under.
    pub fn limit_id(&self) -> String {
        crate::net::limit_id(self.0)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        // Every line of a repeated header: a proxy may add its own line
        // after the one the client sent.
        let header = |name: &str| {
            let lines: Vec<&str> = (parts.headers.get_all(name).iter())
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!lines.is_empty()).then(|| lines.join(","))
        };
        Ok(Self(crate::net::client_ip(
            peer,
            header("forwarded").as_deref(),
            header("x-forwarded-for").as_deref(),
            &app.settings.edge.trusted_proxies,
        )))
    }
}
