//! `GET`, `POST /v1/subscriptions` and `DELETE /v1/subscriptions/{id}`, all
//! for the bearer-token user. Listing supports ETag / Last-Modified and 304,
//! both from the user's version, so a 304 reads nothing but the token and
//! the version.

use super::conditional::Stamp;
use crate::alerts::open_now::open_now;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, AuthUser};
use crate::state::AppState;
use crate::store::{MAX_SUBSCRIPTIONS, NewUserSub, UserDoc, UserHistory, now_ms};
use crate::webhook::sign::Secret;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redis_hack_shared::{
    Channels, CreateSubscriptionRequest, CreatedSubscription, ErrorBody, Filters, History,
    Subscription, SubscriptionId, SubscriptionsResponse, Target, TargetKey, Timestamp, UserId,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
}

/// A subscription whose id is a digest of what it watches and its filters,
/// so the same subscription twice gets the same id and is refused.
pub fn new_subscription(target: Target, filters: Filters, channels: Channels) -> Subscription {
    let what = target.key();
    let filters_json = serde_json::to_string(&filters).unwrap_or_default();
    let digest = hex::encode(Sha256::digest(format!("{what}|{filters_json}").as_bytes()));
    Subscription::new(
        SubscriptionId::parse(&format!("s{}", &digest[..8]))
            .expect("'s' and hex digits make a subscription id"),
        target,
        filters,
        channels,
        Timestamp::now(),
    )
}

/// The token's user document (gone if the account was deleted since).
pub async fn load_user(app: &AppState, user: &AuthUser) -> Result<UserDoc, ApiError> {
    app.store.user(&user.uid).await?.ok_or_else(account_gone)
}

fn account_gone() -> ApiError {
    ApiError::unauthorized(
        "invalid_token",
        "the account for this token no longer exists; register again",
    )
}

/// Names the list's representation in its ETags, so that a release which
/// renders it differently does not answer 304 to a copy of the old one.
const LIST_SALT: &str = concat!("subscriptions ", env!("CARGO_PKG_VERSION"));
const LIST_CACHE: &str = "private, no-cache";

/// The user's subscriptions, with what the alert engine last did for each.
#[utoipa::path(get, path = "/subscriptions", tag = "subscriptions",
    security(("user_token" = [])),
    params(super::conditional::Validators),
    responses(
        (status = 200, description = "The subscriptions", body = SubscriptionsResponse,
            headers(("ETag" = String, description = "Send it back as If-None-Match. Weak: it changes with everything the list shows except `last_poll_at`, so a 304 may come with an older poll time"),
                ("Last-Modified" = String, description = "Send it back as If-Modified-Since; like the ETag, it ignores polls"))),
        (status = 304, description = "Unchanged since the validators sent (poll times aside)",
            headers(("ETag" = String), ("Last-Modified" = String))),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid))]
async fn list(
    State(app): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The version is read before what it describes, so a body is never older
    // than the version its ETag names (a change in between costs a 200 later).
    let version = match app.store.version(&user.uid).await? {
        Some(version) => {
            let stamp = Stamp::of_version(&version, LIST_SALT);
            if stamp.matches(&headers) {
                return Ok(stamp.not_modified(LIST_CACHE));
            }
            version
        }
        None => app.store.bump_version(&user.uid).await?,
    };
    let (doc, history) = app.store.user_and_history(&user.uid).await?;
    let doc = doc.ok_or_else(account_gone)?;
    let subscriptions = with_state(&app, &user, doc.subscriptions(), &history).await?;
    let body = SubscriptionsResponse {
        email_suspended: doc.email_suspension(),
        email: doc.email,
        subscriptions,
    };
    let body = serde_json::to_string(&body).map_err(anyhow::Error::from)?;
    Ok(Stamp::of_version(&version, LIST_SALT).json(body, LIST_CACHE))
}

/// `subscriptions` with what the poller and the workers last did for each,
/// read in one round trip.
async fn with_state(
    app: &AppState,
    user: &AuthUser,
    mut subscriptions: Vec<Subscription>,
    history: &UserHistory,
) -> Result<Vec<Subscription>, ApiError> {
    let targets: Vec<TargetKey> = subscriptions.iter().map(|s| s.target.key()).collect();
    let hooks: Vec<SubscriptionId> = subscriptions
        .iter()
        .filter(|s| s.channels.webhook.is_some())
        .map(|s| s.id.clone())
        .collect();
    let quiet: Vec<SubscriptionId> = subscriptions
        .iter()
        .filter(|s| s.quiet.is_some())
        .map(|s| s.id.clone())
        .collect();
    let (polls, statuses, held) = app
        .store
        .list_state(&user.uid, &targets, &hooks, &quiet)
        .await?;
    let mut held = quiet.into_iter().zip(held).collect::<HashMap<_, _>>();
    let mut statuses = hooks.into_iter().zip(statuses).collect::<HashMap<_, _>>();
    for (sub, poll) in subscriptions.iter_mut().zip(polls) {
        let moments = history.get(&sub.id).copied().unwrap_or_default();
        sub.history = History {
            last_poll_at: poll.at_ms.map(Timestamp::from_ms),
            last_match_at: moments.matched.map(Timestamp::from_ms),
            last_alert_at: moments.alerted.map(Timestamp::from_ms),
        };
        sub.webhook = statuses.remove(&sub.id);
        sub.held = held.remove(&sub.id).unwrap_or(0);
    }
    Ok(subscriptions)
}

/// Watches a district (by id, or state and district names), a pincode or a
/// publisher topic, with optional filters, by email and/or a signed webhook.
#[utoipa::path(post, path = "/subscriptions", tag = "subscriptions",
    security(("user_token" = [])),
    request_body = CreateSubscriptionRequest,
    responses(
        (status = 201, description = "Subscribed; `webhook_secret` is shown this once",
            body = CreatedSubscription,
            headers(("Location" = String, description = "The new subscription's path"))),
        (status = 400, description = "The body is not JSON, a field is invalid, no channel is on, the target is ambiguous, or the account is full", body = ErrorBody),
        (status = 409, description = "The same target with the same filters is already watched", body = ErrorBody),
        (status = 422, description = "No district has this id, or no state or district this name (`suggestions` has the close names), or a name is over 100 characters (`field_too_long`); or `quiet` is not a window of real times of day (`invalid_quiet`), or `tz` is not an IANA zone (`invalid_tz`)", body = ErrorBody),
        (status = 413, description = "The body is larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "The body was not sent as application/json", body = ErrorBody),
        super::errors::AuthErrors,
        super::errors::UpstreamErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid))]
async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateSubscriptionRequest>,
) -> Result<Response, ApiError> {
    if !req.channels.email && req.channels.webhook.is_none() {
        return Err(ApiError::bad_request(
            "no_channel",
            "a subscription needs at least one channel: email is off and there is no webhook",
        ));
    }
    req.check_lengths()?;
    let target = app.locations.resolve(req.target()?).await?;
    let secret = req
        .channels
        .webhook
        .as_ref()
        .map(|_| Secret::generate().expose());
    let mut sub = new_subscription(target, req.filters, req.channels);
    sub.once = req.once;
    sub.followup = req.followup;
    sub.quiet = req.quiet;
    sub.tz = req.tz.unwrap_or_default();
    let added = app
        .store
        .add_subscription(&user.uid, &sub, secret.as_deref());
    match added.await? {
        NewUserSub::Added => {
            tracing::info!(sub = %sub.id, "subscribed");
            with_open_now(&app, &user.uid, &mut sub, true).await;
            Ok(created(sub, secret))
        }
        NewUserSub::Duplicate => Err(ApiError::Conflict(format!(
            "you already watch {} with these filters ({}) as subscription {}",
            sub.target, sub.filters, sub.id
        ))),
        NewUserSub::LimitReached => Err(ApiError::bad_request(
            "too_many_subscriptions",
            format!(
                "an account can hold at most {MAX_SUBSCRIPTIONS} subscriptions; remove one first"
            ),
        )),
    }
}

/// Sets `open_now` on `sub` (see `alerts::open_now`), and `last_poll_at`
/// to the check it comes from; a match is alerted at once with `alert`. The
/// subscription stands either way, so a failure here is logged and leaves
/// `open_now` out rather than failing the request.
pub async fn with_open_now(app: &AppState, uid: &UserId, sub: &mut Subscription, alert: bool) {
    let today = crate::poller::india_date(now_ms()).1;
    let keep = app.settings.poll.followup_window;
    match open_now(&app.store, uid, sub, today, keep, alert).await {
        Ok(open) => {
            sub.open_now = Some(open.sessions);
            sub.history.last_poll_at = open.checked_at.map(Timestamp::from_ms);
        }
        Err(e) => {
            tracing::warn!(sub = %sub.id, error = %e, "could not tell what is open right now")
        }
    }
}

/// The 201 answer: the subscription, where it lives, and its webhook secret.
fn created(subscription: Subscription, webhook_secret: Option<String>) -> Response {
    let location = format!("/v1/subscriptions/{}", subscription.id);
    let body = CreatedSubscription {
        subscription,
        webhook_secret,
    };
    let headers = [(header::LOCATION, location)];
    (StatusCode::CREATED, headers, Json(body)).into_response()
}

/// Stops a subscription.
#[utoipa::path(delete, path = "/subscriptions/{id}", tag = "subscriptions",
    security(("user_token" = [])),
    params(("id" = String, Path, description = "The subscription's id, as `list` shows it")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The path is not valid UTF-8 once percent-decoded", body = ErrorBody),
        (status = 404, description = "The user has no subscription with this id", body = ErrorBody),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid, sub = %id))]
async fn remove(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let doc = load_user(&app, &user).await?;
    let not_found = || ApiError::NotFound(format!("you have no subscription with id '{id}'"));
    let sid = SubscriptionId::parse(&id).map_err(|_| not_found())?;
    let sub = doc.subscription(&sid).ok_or_else(not_found)?;
    if !app.store.remove_subscription(&user.uid, &sub).await? {
        return Err(not_found());
    }
    tracing::info!("unsubscribed");
    Ok(StatusCode::NO_CONTENT)
}
