//! `POST /v1/subscriptions/{id}/rearm`: arms a one-shot subscription again
//! after its alert, and answers it with what is open right now (a match is
//! alerted at once, which disarms it again).

use super::subscriptions::{load_user, with_open_now};
use crate::error::ApiError;
use crate::extract::{ApiPath, AuthUser};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use redis_hack_shared::{ErrorBody, Subscription, SubscriptionId};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rearm))
}

/// Arms a subscription again (one that is armed stays so), with `open_now`.
#[utoipa::path(post, path = "/subscriptions/{id}/rearm", tag = "subscriptions",
    security(("user_token" = [])),
    params(("id" = String, Path, description = "The subscription's id, as `list` shows it")),
    responses(
        (status = 200, description = "Armed; `open_now` lists what is open right now (alerted at once)", body = Subscription),
        (status = 404, description = "The user has no subscription with this id", body = ErrorBody),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid, sub = %id))]
async fn rearm(
    State(app): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Subscription>, ApiError> {
    let doc = load_user(&app, &user).await?;
    let not_found = || ApiError::NotFound(format!("you have no subscription with id '{id}'"));
    let sid = SubscriptionId::parse(&id).map_err(|_| not_found())?;
    let mut sub = doc.subscription(&sid).ok_or_else(not_found)?;
    if !app.store.rearm(&user.uid, &sub).await? {
        return Err(not_found());
    }
    // Only a subscription that was disarmed is alerted about what is open:
    // an armed one was told already.
    let was_disarmed = !sub.armed;
    (sub.armed, sub.disarmed_at) = (true, None);
    with_open_now(&app, &user.uid, &mut sub, was_disarmed).await;
    tracing::info!("rearmed");
    Ok(Json(sub))
}
