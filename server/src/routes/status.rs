//! `GET /v1/status`: the poll budget in use, this window's calls, 304s,
//! errors and alerts, the queue, and each watched target's interval and last
//! poll. Reads at most the 100 most-subscribed targets' states.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Queue, now_ms};
use axum::Json;
use axum::extract::State;
use redis_hack_shared::{BudgetStatus, QueueStatus, StatusResponse, TargetStatus, WindowCounts};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

/// The poll budget in use, this window's counts, the queue and each watched
/// target's schedule (the 100 most subscribed).
#[utoipa::path(get, path = "/status", tag = "operations",
    responses(
        (status = 200, description = "How the poller and the queue are doing", body = StatusResponse),
        super::errors::StorageErrors,
    ))]
async fn status(State(app): State<AppState>) -> Result<Json<StatusResponse>, ApiError> {
    let (store, poll, now) = (&app.store, app.settings.poll, now_ms());
    let counts = store.poll_counts(now, poll.budget.window).await?;
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    let email = store.queue_depth(Queue::Email).await?;
    let next = store.next_polls().await?;
    let mut watched = store.watched_targets().await?;
    watched.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut targets = Vec::new();
    for (target, weight) in watched.into_iter().take(100) {
        let state = store.poll_state(&target).await?;
        let num = |k: &str| state.get(k).and_then(|v| v.parse().ok());
        targets.push(TargetStatus {
            interval_secs: num("every"),
            last_poll_at: num("at"),
            last_status: state.get("status").cloned(),
            next_poll_at: next.get(&target).copied(),
            subscriptions: weight as u64,
            target,
        });
    }
    Ok(Json(StatusResponse {
        budget: BudgetStatus {
            calls: poll.budget.calls,
            window_secs: poll.budget.window.as_secs(),
            in_use: store.budget_in_use(now, poll.budget.window).await?,
        },
        window: WindowCounts {
            calls: count("calls"),
            not_modified: count("not_modified"),
            errors: count("errors"),
            alerts: count("alerts"),
            deferred: count("deferred"),
        },
        queue: QueueStatus {
            queued: email.queued,
            retrying: email.retrying,
            dead: email.dead,
        },
        targets,
    }))
}
