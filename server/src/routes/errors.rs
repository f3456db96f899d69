//! The error answers many endpoints share, for the OpenAPI document. Each is
//! an `ErrorBody` (`{"error": {"code", "message"}}`) that `ApiError` renders;
//! handlers list the groups that apply to them beside their own answers.

use redis_hack_shared::ErrorBody;
use utoipa::IntoResponses;

/// Endpoints that read a JSON body.
#[derive(IntoResponses)]
#[allow(dead_code)] // documentation only: `ApiError` builds the real answers
pub enum JsonBodyErrors {
    /// The body is not JSON, or a field is missing, unknown or invalid; the
    /// message names it.
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// The body is larger than 16 KiB.
    #[response(status = 413)]
    TooLarge(#[to_schema] ErrorBody),
    /// The body was not sent as `application/json`.
    #[response(status = 415)]
    NotJson(#[to_schema] ErrorBody),
}

/// Endpoints that need the user's bearer token.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AuthErrors {
    /// No token, or one that was revoked or never issued.
    #[response(status = 401)]
    Unauthorized(#[to_schema] ErrorBody),
}

/// Endpoints that read or write Redis.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum StorageErrors {
    /// Redis is unreachable or still loading its data; nothing was changed.
    /// Try again after `Retry-After` seconds.
    #[response(
        status = 503,
        headers(("Retry-After" = u64, description = "Seconds to wait"))
    )]
    Unavailable(#[to_schema] ErrorBody),
}

/// Endpoints that may need the CoWIN API (location lists not yet cached).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum UpstreamErrors {
    /// The CoWIN-compatible API did not answer usefully.
    #[response(status = 502)]
    BadGateway(#[to_schema] ErrorBody),
}
