//! The poll loop. `poll_once(now)` is one round: claim the districts that are
//! due, take a call from the shared budget for each, fetch its calendar
//! conditionally, detect openings, queue one alert per user, remember what was
//! seen, and schedule the next poll. Tests drive it with their own clock.

use super::date::india_date;
use super::schedule::{Budget, intervals};
use crate::alerts::detect::{Rules, Seen, detect};
use crate::delivery::{AlertJob, NewJob};
use crate::metrics;
use crate::store::{Moment, Queue, Store, StoreError};
use crate::upstream::{Calendar, CowinClient, UpstreamError, Validators};
use redis_hack_shared::{Filters, Session};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// The poller's knobs (from `POLL_*` and `ALERT_*` settings).
#[derive(Debug, Clone, Copy)]
pub struct PollConfig {
    pub budget: Budget,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub rules: Rules,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub fetched: usize,
    pub not_modified: usize,
    pub alerts_queued: usize,
    pub errors: usize,
    /// Districts put off because the budget was used up or upstream said wait.
    pub deferred: usize,
    /// Calls the upstream refused with 403/429 (they still spent budget).
    pub rate_limited: usize,
}

pub struct Poller {
    pub store: Store,
    pub client: CowinClient,
    pub config: PollConfig,
    /// Names this process's budget entries.
    pub id: String,
}

enum Polled {
    NotModified,
    Fresh { alerts: usize },
}

impl Poller {
    /// One round at `now_ms`.
    pub async fn poll_once(&self, now_ms: u64) -> Result<Round, StoreError> {
        let targets = self.store.watched_targets().await?;
        let weights: Vec<f64> = targets.iter().map(|(_, w)| *w).collect();
        let c = self.config;
        let interval: HashMap<&str, Duration> = targets
            .iter()
            .map(|(t, _)| t.as_str())
            .zip(intervals(
                &weights,
                c.budget,
                c.min_interval,
                c.max_interval,
            ))
            .collect();
        // Heaviest first: when more districts are due than the budget allows,
        // the ones that keep the most subscribers waiting are polled first.
        let mut by_weight: Vec<&(String, f64)> = targets.iter().collect();
        by_weight.sort_by(|a, b| b.1.total_cmp(&a.1));
        let names: Vec<String> = by_weight.iter().map(|(t, _)| t.clone()).collect();
        let mut round = Round::default();
        let mut claimed = self.store.claim_due(&names, now_ms, 20).await?.into_iter();
        while let Some(target) = claimed.next() {
            let call = format!("{}:{target}:{now_ms}", self.id);
            if let Some(wait) = self
                .store
                .take_budget(now_ms, c.budget.calls, c.budget.window, &call)
                .await?
            {
                // Out of budget: this and the rest of the claim wait for the next free call.
                for t in std::iter::once(target).chain(claimed.by_ref()) {
                    self.store
                        .schedule_poll(&t, now_ms + wait.as_millis() as u64)
                        .await?;
                    round.deferred += 1;
                }
                break;
            }
            let every = interval
                .get(target.as_str())
                .copied()
                .unwrap_or(c.max_interval);
            let mut next = now_ms + jittered(every).as_millis() as u64;
            match self.poll_target(&target, now_ms).await {
                Ok(Polled::NotModified) => round.not_modified += 1,
                Ok(Polled::Fresh { alerts }) => {
                    round.fetched += 1;
                    round.alerts_queued += alerts;
                }
                Err(PollError::Store(e)) => return Err(e),
                Err(PollError::Upstream(UpstreamError::RateLimited { retry_after, .. })) => {
                    let wait = retry_after.unwrap_or(c.budget.window / 2).max(every);
                    tracing::warn!(%target, ?wait, "upstream rate-limited us; backing off");
                    next = now_ms + wait.as_millis() as u64;
                    round.deferred += 1;
                    round.rate_limited += 1;
                }
                Err(PollError::Upstream(e)) => {
                    tracing::warn!(%target, error = %e, "poll failed");
                    self.store
                        .set_poll_state(
                            &target,
                            &[("at", now_ms.to_string()), ("status", e.to_string())],
                        )
                        .await?;
                    round.errors += 1;
                }
            }
            self.store.schedule_poll(&target, next).await?;
            self.store
                .set_poll_state(&target, &[("every", every.as_secs().to_string())])
                .await?;
        }
        let counts = [
            (
                "calls",
                (round.fetched + round.not_modified + round.errors + round.rate_limited) as u64,
            ),
            ("not_modified", round.not_modified as u64),
            ("errors", round.errors as u64),
            ("alerts", round.alerts_queued as u64),
            ("deferred", round.deferred as u64),
        ];
        metrics::polls(metrics::PollCalls {
            fresh: round.fetched,
            not_modified: round.not_modified,
            errors: round.errors,
            rate_limited: round.rate_limited,
            // `round.deferred` also counts the targets a 403/429 put off.
            deferred: round.deferred.saturating_sub(round.rate_limited),
        });
        self.store
            .count_poll(now_ms, c.budget.window, &counts)
            .await?;
        Ok(round)
    }

    async fn poll_target(&self, target: &str, now_ms: u64) -> Result<Polled, PollError> {
        let state = self.store.poll_state(target).await?;
        let known = Validators {
            etag: state.get("etag").cloned(),
            last_modified: state.get("lm").cloned(),
        };
        let (date, today) = india_date(now_ms);
        let fetched = match target.split_once(':') {
            Some(("d", id)) => match id.parse() {
                Ok(id) => self.client.calendar_by_district(id, &date, &known).await?,
                Err(_) => {
                    return Err(StoreError::Corrupt(format!("watched target '{target}'")).into());
                }
            },
            Some(("p", pincode)) => self.client.calendar_by_pin(pincode, &date, &known).await?,
            _ => return Err(StoreError::Corrupt(format!("watched target '{target}'")).into()),
        };
        let (sessions, validators, upstream_date) = match fetched {
            Calendar::NotModified => {
                self.store.set_latest(target, None, now_ms).await?;
                self.store
                    .set_poll_state(
                        target,
                        &[("at", now_ms.to_string()), ("status", "304".into())],
                    )
                    .await?;
                return Ok(Polled::NotModified);
            }
            Calendar::Fresh {
                sessions,
                validators,
                date,
            } => (sessions, validators, date),
        };
        let before: HashMap<String, Seen> = self
            .store
            .seen(target)
            .await?
            .into_iter()
            .filter_map(|(id, json)| Some((id, serde_json::from_str(&json).ok()?)))
            .collect();
        let subscribers = self.store.subscribers_of(target).await?;
        let mut filter_sets: Vec<Filters> = subscribers.iter().map(|s| s.filters.clone()).collect();
        filter_sets.sort_by_key(crate::alerts::detect::filter_key);
        filter_sets.dedup();
        let found = detect(
            &sessions,
            &before,
            &filter_sets,
            self.config.rules,
            today,
            now_ms,
        );
        // One job per user: every session newly open for any of their subscriptions here.
        let mut per_user: BTreeMap<&str, (Vec<String>, Vec<&Session>)> = BTreeMap::new();
        for sub in &subscribers {
            let Some(opened) = found.openings.get(&sub.filters) else {
                continue;
            };
            let (sids, sessions) = per_user.entry(&sub.uid).or_default();
            sids.push(sub.sid.clone());
            for s in opened {
                if !sessions.iter().any(|x| x.session_id == s.session_id) {
                    sessions.push(s);
                }
            }
        }
        // The sessions' JSON is encoded once per distinct set, not once per user.
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
        let mut encoded: HashMap<Vec<&str>, Box<serde_json::value::RawValue>> = HashMap::new();
        let detected_at_ms = crate::store::now_ms();
        let mut bodies = Vec::with_capacity(per_user.len());
        for (uid, (sids, sessions)) in &per_user {
            let ids: Vec<&str> = sessions.iter().map(|s| s.session_id.as_str()).collect();
            let raw = match encoded.entry(ids) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    e.insert(serde_json::value::to_raw_value(sessions).map_err(corrupt)?)
                }
            };
            let job = NewJob {
                id: AlertJob::new_id(),
                uid,
                target,
                sids,
                sessions: raw,
                fetched_at_ms: now_ms,
                upstream_date: upstream_date.as_deref(),
                detected_at_ms,
            };
            bodies.push(serde_json::to_string(&job).map_err(corrupt)?);
        }
        self.store.enqueue_many(Queue::Email, &bodies).await?;
        let opened: HashSet<&str> = found
            .openings
            .values()
            .flatten()
            .map(|s| s.session_id.as_str())
            .collect();
        let kind = if target.starts_with("p:") {
            "pincode"
        } else {
            "district"
        };
        metrics::opened(kind, opened.len(), bodies.len());
        let matched: Vec<(&str, &[String])> = per_user
            .iter()
            .map(|(uid, (sids, _))| (*uid, sids.as_slice()))
            .collect();
        self.store
            .record_many(&matched, Moment::Matched, now_ms)
            .await?;
        // Remembered only after the jobs are queued: a crash in between re-alerts, never loses.
        let seen: Vec<(String, String)> = found
            .seen
            .iter()
            .filter_map(|(id, s)| Some((id.clone(), serde_json::to_string(s).ok()?)))
            .collect();
        self.store.set_seen(target, &seen).await?;
        let open: Vec<&Session> = sessions.iter().filter(|s| s.capacity > 0).collect();
        let open = serde_json::to_string(&open).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.set_latest(target, Some(&open), now_ms).await?;
        let mut fields = vec![("at", now_ms.to_string()), ("status", "200".to_owned())];
        fields.extend(validators.etag.map(|v| ("etag", v)));
        fields.extend(validators.last_modified.map(|v| ("lm", v)));
        self.store.set_poll_state(target, &fields).await?;
        Ok(Polled::Fresh {
            alerts: per_user.len(),
        })
    }

    /// Polls every second until `shutdown` says stop.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        self.store.ensure_group(Queue::Email).await.ok();
        while !*shutdown.borrow() {
            match self.poll_once(crate::store::now_ms()).await {
                Ok(round) if round != Round::default() => tracing::info!(?round, "poll round"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "poll round failed; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

/// ±10%, so pollers in many processes do not fall into step.
fn jittered(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.9..1.1))
}
