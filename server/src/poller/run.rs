//! The poll loop. `poll_once(now)` is one round: claim the targets that are
//! due, take a call from the shared budget for each, poll it (`target`), and
//! schedule its next poll. Tests drive it with their own clock.

use super::PollConfig;
use super::plan::Schedule;
use crate::metrics;
use crate::store::{PollState, Queue, Store, StoreError};
use crate::upstream::{CowinClient, UpstreamError};
use redis_hack_shared::{TargetKey, WindowCounts};
use std::time::Duration;

/// Targets one round claims at most.
const CLAIM_LIMIT: usize = 20;

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub fetched: usize,
    pub not_modified: usize,
    pub alerts_queued: usize,
    pub errors: usize,
    /// Targets put off because the budget was used up or upstream said wait.
    pub deferred: usize,
    /// Calls the upstream refused with 403/429 (they still spent budget).
    pub rate_limited: usize,
}

impl Round {
    /// This round's counters for `{p}stats`.
    fn counts(&self) -> WindowCounts {
        WindowCounts {
            calls: (self.fetched + self.not_modified + self.errors + self.rate_limited) as u64,
            not_modified: self.not_modified as u64,
            errors: self.errors as u64,
            alerts: self.alerts_queued as u64,
            deferred: self.deferred as u64,
        }
    }

    fn calls(&self) -> metrics::PollCalls {
        metrics::PollCalls {
            fresh: self.fetched,
            not_modified: self.not_modified,
            errors: self.errors,
            rate_limited: self.rate_limited,
            // `deferred` also counts the targets a 403/429 put off.
            deferred: self.deferred.saturating_sub(self.rate_limited),
        }
    }
}

pub struct Poller {
    pub store: Store,
    pub client: CowinClient,
    pub config: PollConfig,
    /// Names this process's budget entries.
    pub id: String,
}

/// Why a round stopped: Redis failed, or a job could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not encode an alert job as JSON: {0}")]
    Encode(#[source] serde_json::Error),
}

/// How polling one target went.
pub(super) enum Polled {
    NotModified,
    Fresh { alerts: usize },
}

/// Why polling one target failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum TargetError {
    #[error(transparent)]
    Poll(#[from] PollError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl From<StoreError> for TargetError {
    fn from(e: StoreError) -> Self {
        Self::Poll(e.into())
    }
}

impl Poller {
    /// One round at `now_ms`.
    pub async fn poll_once(&self, now_ms: u64) -> Result<Round, PollError> {
        let schedule = Schedule::new(&self.store.watched_targets().await?, &self.config);
        let mut round = Round::default();
        let claimed = self
            .store
            .claim_due(&schedule.order, now_ms, CLAIM_LIMIT)
            .await?;
        let mut claimed = claimed.into_iter();
        while let Some(target) = claimed.next() {
            let call = format!("{}:{target}:{now_ms}", self.id);
            let budget = self.config.budget;
            let taken = self
                .store
                .take_budget(now_ms, budget.calls, budget.window, &call);
            if let Some(wait) = taken.await? {
                // Out of budget: this and the rest of the claim wait for the next free call.
                let at = now_ms + wait.as_millis() as u64;
                for t in std::iter::once(target).chain(claimed.by_ref()) {
                    self.store.schedule_poll(&t, at).await?;
                    round.deferred += 1;
                }
                break;
            }
            let every = schedule.every(&target);
            self.poll_and_schedule(&target, every, now_ms, &mut round)
                .await?;
        }
        metrics::polls(round.calls());
        let window = self.config.budget.window;
        self.store
            .count_poll(now_ms, window, &round.counts())
            .await?;
        Ok(round)
    }

    /// Polls `target`, counts how it went in `round`, and schedules its next
    /// poll: after `every` (±10%), or later when upstream asked us to wait.
    async fn poll_and_schedule(
        &self,
        target: &TargetKey,
        every: Duration,
        now_ms: u64,
        round: &mut Round,
    ) -> Result<(), PollError> {
        let mut next = now_ms + jittered(every).as_millis() as u64;
        let mut state = PollState {
            every_secs: Some(every.as_secs()),
            ..PollState::default()
        };
        match self.poll_target(target, now_ms).await {
            Ok(Polled::NotModified) => round.not_modified += 1,
            Ok(Polled::Fresh { alerts }) => {
                round.fetched += 1;
                round.alerts_queued += alerts;
            }
            Err(TargetError::Poll(e)) => return Err(e),
            Err(TargetError::Upstream(UpstreamError::RateLimited { retry_after, .. })) => {
                let window = self.config.budget.window;
                let wait = retry_after.unwrap_or(window / 2).max(every);
                tracing::warn!(%target, wait_s = wait.as_secs(), "upstream rate-limited us; backing off");
                next = now_ms + wait.as_millis() as u64;
                round.deferred += 1;
                round.rate_limited += 1;
            }
            Err(TargetError::Upstream(e)) => {
                tracing::warn!(%target, error = %e, "poll failed");
                state.at_ms = Some(now_ms);
                state.status = Some(e.to_string());
                round.errors += 1;
            }
        }
        self.store.schedule_poll(target, next).await?;
        self.store.set_poll_state(target, &state).await?;
        Ok(())
    }

    /// Polls every second until `shutdown` says stop.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        self.store.ensure_group(Queue::Email).await.ok();
        while !*shutdown.borrow() {
            match self.poll_once(crate::store::now_ms()).await {
                Ok(r) if r != Round::default() => tracing::info!(
                    fetched = r.fetched,
                    not_modified = r.not_modified,
                    alerts_queued = r.alerts_queued,
                    errors = r.errors,
                    deferred = r.deferred,
                    rate_limited = r.rate_limited,
                    "poll round"
                ),
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

/// ±10%, so pollers in many processes do not fall into step.
fn jittered(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.9..1.1))
}
