//! The live feed's events for alerts and follow-ups (`FeedEvent`); the
//! store appends them to each user's feed (`{p}feed:{uid}`).

use super::gone::announced_sessions;
use crate::delivery::AlertJob;
use crate::store::{Announced, TrackedAlert};
use redis_hack_shared::{FeedEvent, FeedKind, Session, SubscriptionId, Target, Timestamp, UserId};

/// `slots.opened` for the alert `job` about `target`.
pub fn opened_event(job: &AlertJob, target: Target) -> FeedEvent {
    opened(
        &job.id,
        job.sids.clone(),
        target,
        job.sessions.clone(),
        job.detected_at_ms,
    )
}

/// `slots.opened` for the alert `alert_id` to `sids`, detected at `detected_ms`.
pub fn opened(
    alert_id: &str,
    sids: Vec<SubscriptionId>,
    target: Target,
    sessions: Vec<Session>,
    detected_ms: u64,
) -> FeedEvent {
    FeedEvent {
        id: String::new(),
        kind: FeedKind::SlotsOpened,
        timestamp: Timestamp::from_ms(detected_ms),
        alert_id: alert_id.to_owned(),
        subscription_ids: sids,
        target,
        sessions,
    }
}

/// `slots.closed` for each user `alert` was announced to.
pub fn closed_events(
    alert: &TrackedAlert,
    members: &[Announced],
    target: &Target,
    now_ms: u64,
) -> Vec<(UserId, FeedEvent)> {
    let sessions: Vec<Session> = announced_sessions(alert).into_iter().cloned().collect();
    members
        .iter()
        .map(|m| {
            let event = FeedEvent {
                id: String::new(),
                kind: FeedKind::SlotsClosed,
                timestamp: Timestamp::from_ms(now_ms),
                alert_id: m.job_id.clone(),
                subscription_ids: m.sids.clone(),
                target: target.clone(),
                sessions: sessions.clone(),
            };
            (m.uid.clone(), event)
        })
        .collect()
}
