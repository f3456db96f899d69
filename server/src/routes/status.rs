//! `GET /v1/status`: the poll budget in use, this window's calls, 304s,
//! errors and alerts, the queue, and each watched target's interval and last
//! poll. Reads at most the 100 most-subscribed targets' states. With an
//! `OPERATOR_KEY` set, only for requests that show it.

use crate::error::ApiError;
use crate::extract::Operator;
use crate::state::AppState;
use crate::store::{Queue, Store, now_ms};
use axum::Json;
use axum::extract::State;
use redis_hack_shared::{
    BudgetStatus, ErrorBody, QueueStatus, StatusResponse, TargetStatus, Timestamp,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

/// The poll budget in use, this window's counts, the queue and each watched
/// target's schedule (the 100 most subscribed).
#[utoipa::path(get, path = "/status", tag = "operations",
    security((), ("operator_key" = [])),
    responses(
        (status = 200, description = "How the poller and the queue are doing", body = StatusResponse),
        (status = 401, description = "The server has an OPERATOR_KEY and the request did not show it", body = ErrorBody),
        super::errors::StorageErrors,
    ))]
async fn status(
    State(app): State<AppState>,
    _: Operator,
) -> Result<Json<StatusResponse>, ApiError> {
    let (store, budget, now) = (&app.store, app.settings.poll.budget, now_ms());
    let email = store.queue_depth(Queue::Email).await?;
    Ok(Json(StatusResponse {
        budget: BudgetStatus {
            calls: budget.calls,
            window_secs: budget.window.as_secs(),
            in_use: store.budget_in_use(now, budget.window).await?,
        },
        window: store.poll_counts(now, budget.window).await?,
        queue: QueueStatus {
            queued: email.queued,
            retrying: email.retrying,
            dead: email.dead,
        },
        targets: targets(store).await?,
    }))
}

/// The 100 most subscribed targets with their schedules, most subscribed first.
async fn targets(store: &Store) -> Result<Vec<TargetStatus>, ApiError> {
    let next = store.next_polls().await?;
    let mut watched = store.watched_targets().await?;
    watched.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut targets = Vec::new();
    for (target, weight) in watched.into_iter().take(100) {
        let state = store.poll_state(&target).await?;
        targets.push(TargetStatus {
            interval_secs: state.every_secs,
            last_poll_at: state.at_ms.map(Timestamp::from_ms),
            last_status: state.status,
            next_poll_at: next.get(&target).copied().map(Timestamp::from_ms),
            subscriptions: weight as u64,
            target: target.to_string(),
        });
    }
    Ok(targets)
}
