//! The email worker: the handler of the `email` queue. For each alert job it
//! first hands the alert to the user's webhooks (queueing one webhook job per
//! subscription with a webhook, once: `routed`), then sends one email to the
//! user if any matched subscription has email on. A job is acknowledged only
//! after the SMTP server accepted the message (at-least-once); a failure is
//! retried with exponential back-off and jitter, then dead-lettered.

use super::email::render;
use crate::delivery::{AlertJob, Handler, Outcome, Pump, WebhookJob};
use crate::mail::{ListUnsubscribe, Mailer};
use crate::metrics;
use crate::store::{Moment, Queue, QueuedJob, Store, StoreError, now_ms};
use crate::unsubscribe::UnsubscribeLinks;
use redis_hack_shared::EmailAddress;
use std::time::{Duration, Instant};

/// The email worker: the pump over the `email` queue with [`EmailHandler`].
pub type Worker = Pump<EmailHandler>;

/// How failed emails are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(5),
            max: Duration::from_secs(15 * 60),
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

pub struct EmailHandler {
    pub store: Store,
    pub mailer: Mailer,
    pub policy: RetryPolicy,
    pub links: UnsubscribeLinks,
    /// The `mailto:` address in `List-Unsubscribe`.
    pub unsubscribe_mailto: String,
}

impl Handler for EmailHandler {
    const QUEUE: Queue = Queue::Email;

    async fn handle(&self, queued: QueuedJob) -> Result<Outcome, StoreError> {
        let store = &self.store;
        let mut job: AlertJob = match serde_json::from_str(&queued.body) {
            Ok(job) => job,
            Err(e) => {
                let why = format!("unreadable job: {e}");
                store
                    .dead_letter_job(Queue::Email, &queued.id, &queued.body, &why)
                    .await?;
                return Ok(Outcome::Dead);
            }
        };
        let Some(user) = store.user(&job.uid).await? else {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Dropped);
        };
        // Subscriptions removed since detection are left out.
        let subs: Vec<_> = user
            .subscriptions()
            .into_iter()
            .filter(|s| job.sids.contains(&s.id))
            .collect();
        if !job.routed {
            let hooks: Vec<String> = subs
                .iter()
                .filter(|s| s.channels.webhook.is_some())
                .map(|s| WebhookJob::for_alert(&job, s).to_json())
                .collect::<Result<_, _>>()?;
            if !subs.iter().any(|s| s.channels.email) {
                // Webhooks only: route and acknowledge in one round trip.
                store
                    .route_and_ack(Queue::Email, &queued.id, Queue::Webhook, &hooks)
                    .await?;
                return Ok(if subs.is_empty() {
                    Outcome::Dropped
                } else {
                    Outcome::Routed
                });
            }
            store.enqueue_many(Queue::Webhook, &hooks).await?;
            job.routed = true;
        }
        let by_email: Vec<String> = subs
            .iter()
            .filter(|s| s.channels.email)
            .map(|s| s.id.clone())
            .collect();
        let Some(first) = subs.iter().find(|s| s.channels.email) else {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(if subs.is_empty() {
                Outcome::Dropped
            } else {
                Outcome::Routed // by webhook only
            });
        };
        let to =
            EmailAddress::parse(&user.email).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let unsubscribe = ListUnsubscribe {
            url: self.links.url(&job.uid, &by_email),
            mailto: self.unsubscribe_mailto.clone(),
        };
        let (subject, text, html) = render(&job, &first.target, &unsubscribe.url);
        let started = Instant::now();
        let sent = self
            .mailer
            .send_alert(&to, &subject, text, html, Some(&unsubscribe))
            .await;
        metrics::attempt(Queue::Email, started.elapsed());
        match sent {
            Ok(()) => {
                metrics::accepted(Queue::Email, job.detected_at_ms);
                tracing::info!(to = %to.masked(), openings = job.len(), "alert delivered");
                store.ack_job(Queue::Email, &queued.id).await?;
                store
                    .record(&job.uid, &by_email, Moment::Alerted, now_ms())
                    .await?;
                Ok(Outcome::Delivered)
            }
            Err(e) => {
                job.attempt += 1;
                let body =
                    serde_json::to_string(&job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if job.attempt >= self.policy.max_attempts {
                    tracing::warn!(to = %to.masked(), error = %e, "alert dead-lettered");
                    store
                        .dead_letter_job(Queue::Email, &queued.id, &body, &e.to_string())
                        .await?;
                    Ok(Outcome::Dead)
                } else {
                    let wait = self.policy.backoff(job.attempt);
                    tracing::warn!(to = %to.masked(), error = %e, retry_in = ?wait, "alert delivery failed");
                    let due = now_ms() + wait.as_millis() as u64;
                    store
                        .retry_job_later(Queue::Email, &queued.id, &body, due)
                        .await?;
                    Ok(Outcome::Retried)
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
