//! Polling one target: fetch its calendar conditionally (the validators of
//! the last fetch sent back, so an unchanged calendar is a bodiless 304),
//! detect openings against what the last poll saw, queue one alert per user
//! (and the follow-ups of earlier alerts whose sessions all closed: see
//! `followup`), and remember what was seen, the open sessions and the
//! validators.

use super::date::india_date;
use super::plan::{Found, distinct_sessions, encode_jobs, filter_sets, plan_jobs};
use super::run::{PollError, Polled, Poller, TargetError};
use crate::alerts::detect::{Seen, detect};
use crate::metrics;
use crate::store::{Moment, PollState, Queue};
use crate::upstream::{Calendar, Validators};
use redis_hack_shared::{Session, SubscriptionId, TargetKey, UserId};
use std::collections::{BTreeMap, HashMap};

impl Poller {
    /// One poll of `target` at `now_ms`.
    pub(super) async fn poll_target(
        &self,
        target: &TargetKey,
        now_ms: u64,
    ) -> Result<Polled, TargetError> {
        let known = self.store.poll_state(target).await?;
        let known = Validators {
            etag: known.etag,
            last_modified: known.last_modified,
        };
        let Calendar::Fresh {
            sessions,
            validators,
            date,
        } = self.fetch(target, &known, now_ms).await?
        else {
            self.store.set_latest(target, None, now_ms).await?;
            let state = polled(now_ms, "304", Validators::default());
            self.store.set_poll_state(target, &state).await?;
            return Ok(Polled::NotModified);
        };
        let alerts = self
            .detect_and_queue(target, &sessions, date.as_deref(), now_ms)
            .await?;
        let open: Vec<&Session> = sessions.iter().filter(|s| s.capacity > 0).collect();
        self.store.set_latest(target, Some(&open), now_ms).await?;
        let state = polled(now_ms, "200", validators);
        self.store.set_poll_state(target, &state).await?;
        Ok(Polled::Fresh { alerts })
    }

    /// The calendar of the next 7 days from today (in India).
    async fn fetch(
        &self,
        target: &TargetKey,
        known: &Validators,
        now_ms: u64,
    ) -> Result<Calendar, TargetError> {
        let (date, _) = india_date(now_ms);
        let client = &self.client;
        Ok(match target {
            TargetKey::District(id) => client.calendar_by_district(*id, &date, known).await?,
            TargetKey::Pincode(pin) => client.calendar_by_pin(pin, &date, known).await?,
            // Topics are pushed by publishers and never claimed for polling.
            TargetKey::Topic(_) => Calendar::NotModified,
        })
    }

    /// Detects what opened in `sessions` since the last poll, queues one
    /// alert per user and returns how many. What was seen is remembered only
    /// after the jobs are queued: a crash in between re-alerts, never loses.
    async fn detect_and_queue(
        &self,
        target: &TargetKey,
        sessions: &[Session],
        upstream_date: Option<&str>,
        now_ms: u64,
    ) -> Result<usize, PollError> {
        let store = &self.store;
        let mut before: HashMap<String, Seen> = store.seen(target).await?;
        let fan = store.fan_out_of(target).await?;
        let subscribers = &fan.subscribers;
        self.follow_up(target, sessions, &mut before, now_ms)
            .await?;
        let (_, today) = india_date(now_ms);
        let sets = filter_sets(subscribers);
        let rules = self.config.rules;
        let found = detect(sessions, &before, &sets, rules, today, now_ms);
        let alerts = plan_jobs(subscribers, &found.openings);
        let stamp = Found {
            target,
            fetched_at_ms: now_ms,
            upstream_date,
            detected_at_ms: crate::store::now_ms(),
        };
        let encoded = encode_jobs(&alerts, stamp).map_err(PollError::Encode)?;
        let jobs: BTreeMap<UserId, String> = alerts
            .keys()
            .cloned()
            .zip(encoded.iter().map(|(id, _)| id.clone()))
            .collect();
        let bodies: Vec<(UserId, String)> = alerts
            .keys()
            .cloned()
            .zip(encoded.into_iter().map(|(_, body)| body))
            .collect();
        store.enqueue_many(Queue::Email, &bodies).await?;
        if !alerts.is_empty() {
            let detected = stamp.detected_at_ms;
            self.track(target, &fan, &found.openings, &alerts, &jobs, detected)
                .await?;
        }
        metrics::opened(
            target.kind(),
            distinct_sessions(&found.openings),
            bodies.len(),
        );
        let matched: Vec<(&UserId, &[SubscriptionId])> = alerts
            .iter()
            .map(|(uid, a)| (uid, a.sids.as_slice()))
            .collect();
        store.record_many(&matched, Moment::Matched, now_ms).await?;
        store.set_seen(target, &found.seen).await?;
        Ok(alerts.len())
    }
}

/// The state a poll at `now_ms` leaves: its time, its status and the
/// validators of what it fetched (none kept for a 304: the old ones stand).
fn polled(now_ms: u64, status: &str, validators: Validators) -> PollState {
    PollState {
        etag: validators.etag,
        last_modified: validators.last_modified,
        at_ms: Some(now_ms),
        status: Some(status.to_owned()),
        every_secs: None,
    }
}
