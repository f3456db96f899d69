//! Sign-up and sign-in: `POST /v1/register` emails a one-time code,
//! `POST /v1/verify` trades it for a bearer token, `DELETE /v1/session`
//! revokes the token in use.

use super::codes::take_code;
use super::limits;
use super::secrets::{hash_code, new_code, new_salt, new_token};
use super::subscriptions::{new_subscription, with_open_now};
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser, ClientIp, hash_token};
use crate::state::AppState;
use crate::store::{NewUserSub, OtpRecord};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use redis_hack_shared::{
    ErrorBody, Filters, OTP_TTL_SECS, RegisterRequest, RegisterResponse, Subscription,
    VerifyRequest, VerifyResponse,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify))
        .routes(routes!(logout))
}

/// Emails a 6-digit code. The answer is the same for every address, known or not.
#[utoipa::path(post, path = "/register", tag = "account",
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "A code is on its way (if the address can receive mail)",
            body = RegisterResponse),
        (status = 400, description = "The body is not JSON, a field is invalid, or the district is given ambiguously", body = ErrorBody),
        (status = 422, description = "No district has this id, or no state or district this name (`suggestions` has the close names), or a name is over 100 characters (`field_too_long`)", body = ErrorBody),
        (status = 429, description = "Too many codes for this address or client",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Redis or the mail server is unavailable; nothing was kept", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 413, description = "The body is larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "The body was not sent as application/json", body = ErrorBody),
        super::errors::UpstreamErrors,
    ))]
#[tracing::instrument(skip_all, fields(email = %req.email.masked()))]
async fn register(
    State(app): State<AppState>,
    client: ClientIp,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    req.check_lengths()?;
    let client = client.limit_id();
    // The client pays before any name is looked up: a lookup is the costly part.
    let by_client = limits::register_client(&client, app.settings.rate_limit_ip_per_hour);
    if let Some(retry_after) = app.store.hit_limits(&by_client).await? {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let target = match req.target()? {
        Some(spec) => Some(app.locations.resolve(spec).await?),
        None => None,
    };
    let by_address = limits::register_address(&req.email, &client);
    if let Some(retry_after) = app.store.hit_limits(&by_address).await? {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let (code, salt) = (new_code(), new_salt());
    let record = OtpRecord {
        hash: hash_code(&salt, &code),
        salt,
        target,
    };
    app.store.put_otp(&req.email, &record, OTP_TTL_SECS).await?;
    if let Err(e) = app
        .mailer
        .send_code(&req.email, &code, &app.settings.public_url)
        .await
    {
        tracing::warn!(error = %e, "could not email the code");
        // The failure is ours, not the user's: forget the code and the attempt.
        app.store.take_otp(&req.email).await?;
        let counted: Vec<_> = by_address.into_iter().chain(by_client).collect();
        app.store.refund_limits(&counted).await?;
        return Err(ApiError::Unavailable {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "mail_unavailable",
            message: "the code could not be emailed right now; try again in a minute".into(),
        });
    }
    tracing::info!("code issued");
    let message =
        "If this address can receive mail, a 6-digit code is on its way. It expires in 10 minutes.";
    Ok((
        StatusCode::ACCEPTED,
        Json(RegisterResponse {
            message: message.into(),
            expires_in_secs: OTP_TTL_SECS,
        }),
    ))
}

/// Trades the emailed code for a bearer token; the registered district
/// becomes the first subscription.
#[utoipa::path(post, path = "/verify", tag = "account",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified: the token (shown once) and the subscriptions", body = VerifyResponse),
        (status = 401, description = "No valid code for this address, a wrong code, or a code invalidated after 6 wrong tries (from this client) or 18 (from all)", body = ErrorBody),
        (status = 422, description = "The device label is over 100 characters (`field_too_long`)", body = ErrorBody),
        (status = 429, description = "Too many verify calls from this client (`VERIFY_LIMIT_IP_PER_HOUR`)",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "All four user ids of a new address are held by other addresses (`no_user_id`: four 64-bit collisions in a row, or documents written by hand), or another fault of the server", body = ErrorBody),
        super::errors::JsonBodyErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(email = %req.email.masked()))]
async fn verify(
    State(app): State<AppState>,
    client: ClientIp,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    req.check_lengths()?;
    let client = client.limit_id();
    let per_hour = app.settings.edge.verify_limit_ip_per_hour;
    if let Some(retry_after) = app
        .store
        .hit_limits(&limits::verify_client(&client, per_hour))
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let record = take_code(&app, &req, &client).await?;
    let uid = app.store.ensure_user(&req.email).await?;
    // Proving the address works again lifts a bounce suspension.
    if app.store.clear_email_suspension(&uid).await? {
        tracing::info!("alert emails resumed after a suspension");
    }
    let mut registered = None;
    if let Some(target) = record.target {
        let mut sub = new_subscription(target, Filters::default(), Default::default());
        // A re-registration naming a district already watched changes nothing
        // (and alerts nothing: what is open was announced the first time).
        let added = app.store.add_subscription(&uid, &sub, None).await? == NewUserSub::Added;
        with_open_now(&app, &uid, &mut sub, added).await;
        registered = Some(sub);
    }
    let token = new_token();
    let device = device_label(req.device.as_deref());
    let ttl = app.settings.token_ttl;
    app.store
        .put_token(&hash_token(&token), &uid, &device, ttl)
        .await?;
    let user = app
        .store
        .user(&uid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {uid} vanished after verify"))?;
    tracing::info!(%device, "verified; token issued");
    Ok(Json(VerifyResponse {
        token,
        email: req.email,
        subscriptions: with_registered(user.subscriptions(), registered),
    }))
}

/// `subscriptions` with what is open right now on the one made from the
/// registered target.
fn with_registered(
    mut subscriptions: Vec<Subscription>,
    registered: Option<Subscription>,
) -> Vec<Subscription> {
    if let Some(made) = registered
        && let Some(sub) = subscriptions.iter_mut().find(|s| s.id == made.id)
    {
        sub.open_now = made.open_now;
        sub.history = made.history;
    }
    subscriptions
}

fn device_label(raw: Option<&str>) -> String {
    let clean: String = raw
        .unwrap_or("unnamed device")
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if clean.trim().is_empty() {
        "unnamed device".into()
    } else {
        clean.trim().to_owned()
    }
}

/// Revokes the token this request carries (logout).
#[utoipa::path(delete, path = "/session", tag = "account",
    security(("user_token" = [])),
    responses(
        (status = 204, description = "The token no longer works"),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid))]
async fn logout(State(app): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    app.store.delete_token(&user.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
