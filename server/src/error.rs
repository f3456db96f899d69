//! `ApiError`: every way a request can fail, turned into a status code and
//! the shared JSON error body in one `match`. Details of 5xx errors are
//! logged, never returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redis_hack_shared::ErrorBody;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or a value is invalid.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: missing, unknown or revoked credentials, or a wrong code.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// 403: known credentials, but not allowed here (or the feature is off).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("this endpoint does not accept that HTTP method")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed, but a name matched nothing; `suggestions` are the closest names.
    #[error("{message}")]
    Unknown {
        code: &'static str,
        message: String,
        suggestions: Vec<String>,
    },
    #[error("too many requests; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// 502/503: a dependency (Redis, SMTP, the CoWIN API) is failing.
    #[error("{message}")]
    Unavailable {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, suggestions) = match &self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code, vec![]),
            Self::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, *code, vec![]),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, *code, vec![]),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", vec![]),
            Self::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", vec![])
            }
            Self::Conflict(_) => (StatusCode::CONFLICT, "duplicate_subscription", vec![]),
            Self::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", vec![])
            }
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                vec![],
            ),
            Self::Unknown {
                code, suggestions, ..
            } => (StatusCode::UNPROCESSABLE_ENTITY, *code, suggestions.clone()),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", vec![]),
            Self::Unavailable {
                status,
                code,
                message,
            } => {
                tracing::warn!(code, %message, "dependency unavailable");
                (*status, *code, vec![])
            }
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", vec![])
            }
        };
        let message = match &self {
            Self::Internal(_) => {
                "something went wrong on the server; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = ErrorBody::new(code, message);
        body.error.suggestions = suggestions;
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::TooManyRequests { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Unreachable(_) | StoreError::NoJsonModule => Self::Unavailable {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "storage_unavailable",
                message: format!("storage is unavailable, try again shortly ({e})"),
            },
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::upstream::UpstreamError> for ApiError {
    fn from(e: crate::upstream::UpstreamError) -> Self {
        Self::Unavailable {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_unavailable",
            message: format!("location data is unavailable right now: {e}"),
        }
    }
}
