//! `ApiError`: every way a request can fail, turned into a status code and
//! the shared JSON error body in one `match`. Details of 5xx errors are
//! logged, never returned; a 503 says when to try again (`Retry-After`). The lower layers' errors (store, upstream,
//! locations, delivery, a request's target) are mapped to it here, once.

use crate::delivery::DeliveryError;
use crate::locations::LocationError;
use crate::store::StoreError;
use crate::upstream::UpstreamError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redis_hack_shared::{ErrorBody, FieldTooLong, TargetSpecError};

/// Seconds a client is asked to wait when Redis is unreachable or loading.
pub const STORAGE_RETRY_AFTER: u64 = 5;

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
    /// 422: well-formed, but a name or id matched nothing; `suggestions` are
    /// the close names.
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
    /// 500 with a code of its own: a known failure of the server that a
    /// retry does not fix. The cause is logged where it is mapped; the
    /// message says only what failed.
    #[error("{message}")]
    Fault { code: &'static str, message: String },
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

    /// The status and `code` it is answered with.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "duplicate_subscription"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Unknown { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Unavailable { status, code, .. } => (*status, code),
            Self::Fault { code, .. } => (StatusCode::INTERNAL_SERVER_ERROR, code),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Unavailable { message, .. } => {
                tracing::warn!(code, %message, "dependency unavailable");
                message.clone()
            }
            Self::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                "something went wrong on the server; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = ErrorBody::new(code, message);
        if let Self::Unknown { suggestions, .. } = &self {
            body.error.suggestions = suggestions.clone();
        }
        let mut response = (status, axum::Json(body)).into_response();
        let retry_after = match self {
            Self::TooManyRequests { retry_after } => Some(retry_after),
            Self::Unavailable { status, code, .. } if status == StatusCode::SERVICE_UNAVAILABLE => {
                Some(match code {
                    "storage_unavailable" => STORAGE_RETRY_AFTER,
                    _ => 60,
                })
            }
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // The cause (e.g. "broken pipe", "busy loading") is logged, never answered.
            StoreError::Unreachable(_) | StoreError::NoJsonModule => {
                tracing::warn!(error = %e, "storage unavailable");
                Self::Unavailable {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "storage_unavailable",
                    message: format!(
                        "storage is unavailable; try again in {STORAGE_RETRY_AFTER} seconds"
                    ),
                }
            }
            StoreError::NoFreeUid(_) => {
                tracing::error!(error = %e, "an address has no free user id");
                Self::Fault {
                    code: "no_user_id",
                    message: "no user id could be given to this address; the server logged why for its operators".into(),
                }
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<UpstreamError> for ApiError {
    fn from(e: UpstreamError) -> Self {
        Self::Unavailable {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_unavailable",
            message: format!("location data is unavailable right now: {e}"),
        }
    }
}

impl From<LocationError> for ApiError {
    fn from(e: LocationError) -> Self {
        let unknown = |code, suggestions, e: &LocationError| Self::Unknown {
            code,
            message: e.to_string(),
            suggestions,
        };
        match e {
            LocationError::Store(e) => e.into(),
            LocationError::Upstream(e) => e.into(),
            LocationError::Cache(_) => Self::Internal(e.into()),
            LocationError::NoStateId(_) => Self::NotFound(e.to_string()),
            LocationError::NoDistrictId(_) => unknown("unknown_district", Vec::new(), &e),
            LocationError::UnknownState {
                ref suggestions, ..
            } => unknown("unknown_state", suggestions.clone(), &e),
            LocationError::UnknownDistrict {
                ref suggestions, ..
            } => unknown("unknown_district", suggestions.clone(), &e),
        }
    }
}

impl From<TargetSpecError> for ApiError {
    fn from(e: TargetSpecError) -> Self {
        Self::bad_request(e.code(), e.to_string())
    }
}

impl From<FieldTooLong> for ApiError {
    fn from(e: FieldTooLong) -> Self {
        Self::Unknown {
            code: "field_too_long",
            message: e.to_string(),
            suggestions: Vec::new(),
        }
    }
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Store(e) => e.into(),
            other => Self::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_a_free_uid_is_a_500_that_says_so() {
        let e = ApiError::from(StoreError::NoFreeUid("a***@example.com".into()));
        assert_eq!(
            e.status_and_code(),
            (StatusCode::INTERNAL_SERVER_ERROR, "no_user_id")
        );
        assert!(!e.to_string().contains("example.com"), "{e}");
    }
}
