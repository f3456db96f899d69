//! Sign-up and sign-in: `POST /v1/register` emails a one-time code,
//! `POST /v1/verify` trades it for a bearer token, `DELETE /v1/session`
//! revokes the token in use.

use super::secrets::{hash_code, new_code, new_salt, new_token, new_uid, same_hash};
use super::subscriptions::new_subscription;
use crate::error::ApiError;
use crate::extract::{ApiJson, AuthUser, ClientIp, hash_token};
use crate::state::AppState;
use crate::store::{Limit, OtpRecord};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use redis_hack_shared::{
    EmailAddress, ErrorBody, Filters, OTP_TTL_SECS, RegisterRequest, RegisterResponse,
    VerifyRequest, VerifyResponse,
};
use std::net::IpAddr;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Attempts allowed per code; the sixth wrong one invalidates it.
const MAX_ATTEMPTS: u32 = 6;

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
        (status = 422, description = "No district has this id, or no state or district this name; `suggestions` has the close names", body = ErrorBody),
        (status = 429, description = "Too many codes for this address or client",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Redis or the mail server is unavailable; nothing was kept", body = ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "The body was not sent as application/json", body = ErrorBody),
        super::errors::UpstreamErrors,
    ))]
#[tracing::instrument(skip_all, fields(email = %req.email.masked()))]
async fn register(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let target = match req.target()? {
        Some(spec) => Some(app.locations.resolve(spec).await?),
        None => None,
    };
    let limits = issuance_limits(&req.email, ip, app.settings.rate_limit_ip_per_hour);
    if let Some(retry_after) = app.store.hit_limits(&limits).await? {
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
        app.store.refund_limits(&limits).await?;
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

/// 1 code per minute and 5 per hour per address; a per-IP hourly limit
/// generous enough for an office behind one NAT.
fn issuance_limits(email: &EmailAddress, ip: IpAddr, ip_per_hour: u32) -> [Limit; 3] {
    let limit = |scope, id: String, max, window_secs| Limit {
        scope,
        id,
        max,
        window_secs,
    };
    [
        limit("email-min", email.to_string(), 1, 60),
        limit("email-hour", email.to_string(), 5, 3600),
        limit("ip-hour", ip.to_string(), ip_per_hour, 3600),
    ]
}

/// Trades the emailed code for a bearer token; the registered district
/// becomes the first subscription.
#[utoipa::path(post, path = "/verify", tag = "account",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Verified: the token (shown once) and the subscriptions", body = VerifyResponse),
        (status = 401, description = "No valid code for this address, a wrong code, or a code invalidated after 6 wrong tries", body = ErrorBody),
        super::errors::JsonBodyErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(email = %req.email.masked()))]
async fn verify(
    State(app): State<AppState>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let record = take_code(&app, &req).await?;
    let uid = app.store.ensure_user(&req.email, &new_uid()).await?;
    // Proving the address works again lifts a bounce suspension.
    if app.store.clear_email_suspension(&uid).await? {
        tracing::info!("alert emails resumed after a suspension");
    }
    if let Some(target) = record.target {
        let sub = new_subscription(target, Filters::default(), Default::default());
        // A re-registration naming a district already watched changes nothing.
        app.store.add_subscription(&uid, &sub, None).await?;
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
        subscriptions: user.subscriptions(),
    }))
}

/// How one attempt at a code went.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Right,
    Wrong {
        left: u32,
    },
    /// The sixth wrong try: the code no longer works.
    Invalidated,
}

/// The verdict on attempt number `attempts` (this one counted), given
/// whether the code `matches`.
fn verdict(matches: bool, attempts: u32) -> Verdict {
    let left = MAX_ATTEMPTS.saturating_sub(attempts);
    match (matches && attempts <= MAX_ATTEMPTS, left) {
        (true, _) => Verdict::Right,
        (false, 0) => Verdict::Invalidated,
        (false, left) => Verdict::Wrong { left },
    }
}

/// Counts the attempt, checks the code and, when it is right, uses it up
/// (deleting decides the race between two correct attempts: one wins).
async fn take_code(app: &AppState, req: &VerifyRequest) -> Result<OtpRecord, ApiError> {
    let no_code = || {
        ApiError::unauthorized(
            "invalid_code",
            "there is no valid code for this address (it expired, was used, or was never sent); run register again",
        )
    };
    let email = &req.email;
    let check = app.store.count_otp_attempt(email).await?;
    let check = check.ok_or_else(no_code)?;
    let given = hash_code(&check.record.salt, req.code.as_str());
    match verdict(same_hash(&check.record.hash, &given), check.attempts) {
        Verdict::Right if app.store.take_otp(email).await? => Ok(check.record),
        Verdict::Right => Err(no_code()),
        Verdict::Wrong { left } => Err(ApiError::unauthorized(
            "wrong_code",
            format!(
                "the code is wrong; {left} {} left",
                if left == 1 { "try" } else { "tries" }
            ),
        )),
        Verdict::Invalidated => {
            app.store.take_otp(email).await?;
            tracing::info!("code invalidated after too many wrong attempts");
            Err(ApiError::unauthorized(
                "code_invalidated",
                "too many wrong codes: this code no longer works; request a new one with register",
            ))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_wrong_code_invalidates_and_a_right_one_after_it_is_refused() {
        assert_eq!(verdict(true, 1), Verdict::Right);
        assert_eq!(verdict(false, 1), Verdict::Wrong { left: 5 });
        assert_eq!(verdict(false, 5), Verdict::Wrong { left: 1 });
        assert_eq!(verdict(false, 6), Verdict::Invalidated);
        assert_eq!(
            verdict(true, 6),
            Verdict::Right,
            "the sixth try may be right"
        );
        assert_eq!(verdict(true, 7), Verdict::Invalidated);
    }
}
