//! What is open right now, for a subscription just made, rearmed, or
//! created by verify: the sessions of its target open in the latest poll
//! (`{p}latest:{target}`) that match its filters. When something matches,
//! one alert job goes out at once through its channels (and into the feed),
//! the sessions are marked alerted for its filter set so the poller does
//! not announce them again, and the alert is remembered for its follow-up.
//! A target never polled is put first in the poller's queue instead.

use super::detect::{Seen, date_key, filter_key};
use super::feed::opened_event;
use crate::delivery::{AlertJob, DeliveryError};
use crate::store::{Announced, Moment, Queue, Store, TrackedAlert, now_ms};
use redis_hack_shared::{Session, Subscription, UserId};
use std::collections::HashMap;
use std::time::Duration;

/// What is open for a subscription right now.
#[derive(Debug, Default)]
pub struct OpenNow {
    pub sessions: Vec<Session>,
    /// When the target was last checked (ms); `None`: never polled yet.
    pub checked_at: Option<u64>,
}

/// The sessions open for `sub` right now (none for a topic, or a target
/// not polled yet, which is then due first). With `alert`, a match is
/// alerted at once; `keep` is how long its follow-up is watched for.
pub async fn open_now(
    store: &Store,
    uid: &UserId,
    sub: &Subscription,
    today: u32,
    keep: Duration,
    alert: bool,
) -> Result<OpenNow, DeliveryError> {
    if !sub.target.key().is_polled() {
        return Ok(OpenNow::default());
    }
    let target = sub.target.key();
    let latest = store.latest(&target).await?;
    let Some(fetched_at_ms) = latest.checked_at else {
        store.schedule_poll(&target, 0).await?;
        return Ok(OpenNow::default());
    };
    let open: Vec<Session> = latest
        .sessions
        .into_iter()
        .filter(|s| date_key(&s.date).is_some_and(|d| d >= today) && s.is_open_for(&sub.filters))
        .collect();
    let found = |sessions| OpenNow {
        sessions,
        checked_at: Some(fetched_at_ms),
    };
    if !alert || open.is_empty() {
        return Ok(found(open));
    }
    let now = now_ms();
    let job = AlertJob {
        id: AlertJob::new_id(),
        uid: uid.clone(),
        target: target.clone(),
        sids: vec![sub.id.clone()],
        sessions: open.clone(),
        openings: Vec::new(),
        fetched_at_ms,
        upstream_date: None,
        detected_at_ms: now,
        attempt: 0,
        routed: false,
        follows: None,
        digest: None,
    };
    store.enqueue(Queue::Email, uid, &job.to_json()?).await?;
    mark_alerted(store, sub, &open, now).await?;
    if sub.followup {
        let tracked = TrackedAlert {
            at_ms: now,
            opened: vec![(sub.filters.clone(), open.clone())],
        };
        let me = Announced {
            uid: uid.clone(),
            job_id: job.id.clone(),
            sids: vec![sub.id.clone()],
        };
        let gid = AlertJob::new_id();
        store
            .track_alert(&target, &gid, &tracked, &[me], keep)
            .await?;
    }
    let event = opened_event(&job, sub.target.clone());
    store.push_feed_events(&[(uid.clone(), event)]).await?;
    store
        .record(uid, std::slice::from_ref(&sub.id), Moment::Matched, now)
        .await?;
    tracing::info!(sub = %sub.id, sessions = open.len(), "open right now: alerted at once");
    Ok(found(open))
}

/// Names `open` as alerted for `sub`'s filter set in what the poller saw.
async fn mark_alerted(
    store: &Store,
    sub: &Subscription,
    open: &[Session],
    now: u64,
) -> Result<(), DeliveryError> {
    let target = sub.target.key();
    let ids: Vec<&str> = open.iter().map(|s| s.session_id.as_str()).collect();
    let mut seen: HashMap<String, Seen> = store.seen_of(&target, &ids).await?;
    for s in open {
        let entry = seen.entry(s.session_id.clone()).or_insert_with(|| Seen {
            capacity: s.capacity,
            dose1: s.capacity_dose1,
            dose2: s.capacity_dose2,
            alerted: Default::default(),
        });
        entry.alerted.insert(filter_key(&sub.filters), now);
    }
    store.put_seen(&target, &seen).await?;
    Ok(())
}
