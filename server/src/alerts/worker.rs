//! The email worker: a consumer of the alert stream. `run_once` is one pass
//! (release due retries, take over jobs a dead worker left, read new ones,
//! deliver each); `run` loops it until shutdown. A job is acknowledged only
//! after the SMTP server accepted the message (at-least-once); a failure is
//! retried with exponential back-off and jitter, then dead-lettered.

use super::email::render;
use super::job::AlertJob;
use crate::mail::Mailer;
use crate::store::{Moment, QueuedJob, Store, StoreError, now_ms};
use redis_hack_shared::EmailAddress;
use std::time::Duration;

/// How failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub base: Duration,
    pub max: Duration,
    /// A job pending this long with another consumer is taken over.
    pub reclaim_idle: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(5),
            max: Duration::from_secs(15 * 60),
            reclaim_idle: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Back-off before attempt `attempt + 1`, with ±20% jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max);
        exp.mul_f64(rand::random_range(0.8..1.2))
    }
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
    /// Jobs for users or subscriptions that no longer exist.
    pub dropped: usize,
}

pub struct Worker {
    pub store: Store,
    pub mailer: Mailer,
    /// This worker's name in the consumer group (unique per process).
    pub consumer: String,
    pub policy: RetryPolicy,
}

impl Worker {
    /// One pass over the queue; waits up to `block` for new jobs.
    pub async fn run_once(&self, block: Duration) -> Result<Pass, StoreError> {
        self.store.ensure_alert_group().await?;
        self.store.release_due_alerts(now_ms()).await?;
        let mut jobs = self
            .store
            .reclaim_alerts(&self.consumer, self.policy.reclaim_idle, 50)
            .await?;
        if jobs.is_empty() {
            jobs = self.store.read_alerts(&self.consumer, 50, block).await?;
        }
        let mut pass = Pass::default();
        for job in jobs {
            self.handle(job, &mut pass).await?;
        }
        Ok(pass)
    }

    /// Loops `run_once` until `shutdown` says stop; store errors (Redis
    /// restarting) are logged and retried.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            tokio::select! {
                result = self.run_once(Duration::from_secs(2)) => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "alert worker pass failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                _ = shutdown.changed() => {}
            }
        }
    }

    async fn handle(&self, queued: QueuedJob, pass: &mut Pass) -> Result<(), StoreError> {
        let mut job: AlertJob = match serde_json::from_str(&queued.body) {
            Ok(job) => job,
            Err(e) => {
                pass.dead += 1;
                return self
                    .store
                    .dead_letter_alert(&queued.id, &queued.body, &format!("unreadable job: {e}"))
                    .await;
            }
        };
        let Some(user) = self.store.user(&job.uid).await? else {
            pass.dropped += 1;
            return self.store.ack_alert(&queued.id).await;
        };
        let subs = user.subscriptions();
        let Some(sub) = subs.iter().find(|s| job.sids.contains(&s.id)) else {
            pass.dropped += 1; // unsubscribed since detection
            return self.store.ack_alert(&queued.id).await;
        };
        let to =
            EmailAddress::parse(&user.email).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (subject, text, html) = render(&job, &sub.target);
        match self.mailer.send(&to, &subject, text, html).await {
            Ok(()) => {
                tracing::info!(to = %to.masked(), sessions = job.sessions.len(), "alert delivered");
                pass.delivered += 1;
                self.store.ack_alert(&queued.id).await?;
                self.store
                    .record(&job.uid, &job.sids, Moment::Alerted, now_ms())
                    .await
            }
            Err(e) => {
                job.attempt += 1;
                let body =
                    serde_json::to_string(&job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if job.attempt >= self.policy.max_attempts {
                    tracing::warn!(to = %to.masked(), error = %e, "alert dead-lettered");
                    pass.dead += 1;
                    self.store
                        .dead_letter_alert(&queued.id, &body, &e.to_string())
                        .await
                } else {
                    let wait = self.policy.backoff(job.attempt);
                    tracing::warn!(to = %to.masked(), error = %e, retry_in = ?wait, "alert delivery failed");
                    pass.retried += 1;
                    self.store
                        .retry_alert_later(&queued.id, &body, now_ms() + wait.as_millis() as u64)
                        .await
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let p = RetryPolicy::default();
        for (attempt, base) in [(1, 5.0), (2, 10.0), (3, 20.0), (10, 900.0)] {
            let got = p.backoff(attempt).as_secs_f64();
            assert!(
                got >= base * 0.8 && got <= base * 1.2,
                "attempt {attempt}: {got}"
            );
        }
    }
}
