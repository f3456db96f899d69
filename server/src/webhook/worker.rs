//! The webhook worker: the handler of the `webhook` queue. It signs and POSTs
//! each job to its subscription's URL and records how the webhook is doing.
//! Retries follow `WEBHOOK_RETRY_SCHEDULE` (±10% jitter), waiting longer when
//! the receiver's `Retry-After` says so; a 410 Gone disables the webhook at
//! once, and so does failing without a success for `WEBHOOK_DISABLE_AFTER`;
//! its owner is emailed then. Exhausted and undeliverable jobs are
//! dead-lettered; jobs for a disabled webhook too, so an operator can replay them.

use super::client::{Delivery, HookClient};
use super::sign::Secret;
use crate::delivery::{Handler, Outcome, Pump, WebhookJob};
use crate::mail::Mailer;
use crate::metrics;
use crate::store::{Queue, QueuedJob, Store, StoreError, now_ms};
use redis_hack_shared::EmailAddress;
use std::time::{Duration, Instant};

/// The webhook worker: the pump over the `webhook` queue.
pub type WebhookWorker = Pump<WebhookHandler>;

pub struct WebhookHandler {
    pub store: Store,
    pub mailer: Mailer,
    pub client: HookClient,
    /// Waits before the 2nd, 3rd, ... attempt; dead-lettered after the last.
    pub schedule: Vec<Duration>,
    pub disable_after: Duration,
}

impl Handler for WebhookHandler {
    const QUEUE: Queue = Queue::Webhook;

    async fn handle(&self, queued: QueuedJob) -> Result<Outcome, StoreError> {
        let store = &self.store;
        let queued_id = queued.id.as_str();
        let dead = |body: String, why: String| async move {
            store
                .dead_letter_job(Queue::Webhook, queued_id, &body, &why)
                .await
                .map(|()| Outcome::Dead)
        };
        let mut job: WebhookJob = match serde_json::from_str(&queued.body) {
            Ok(job) => job,
            Err(e) => return dead(queued.body.clone(), format!("unreadable job: {e}")).await,
        };
        let (user, status) = store.user_and_hook(&job.uid, &job.sid).await?;
        let target = user.as_ref().and_then(|u| {
            let url = u.subscription(&job.sid)?.channels.webhook?;
            Some((u, url, u.webhook_secret(&job.sid)?.to_owned()))
        });
        let Some((user, url, secret)) = target else {
            store.ack_job(Queue::Webhook, &queued.id).await?;
            return Ok(Outcome::Dropped); // unsubscribed since
        };
        let (uid, sid) = (job.uid.clone(), job.sid.clone());
        if status.disabled_at.is_some() {
            let why = status.disabled_reason.unwrap_or_default();
            let dead = dead(queued.body.clone(), format!("webhook disabled: {why}")).await;
            return dead.map(|_| Outcome::Disabled);
        }
        let Ok(secret) = Secret::parse(&secret) else {
            return dead(
                queued.body.clone(),
                "the stored signing secret is unusable".into(),
            )
            .await;
        };
        let started = Instant::now();
        let result = self
            .client
            .deliver(url.as_str(), &secret, &job.msg_id, &job.body)
            .await;
        metrics::attempt(Queue::Webhook, started.elapsed());
        let now = now_ms();
        let (summary, retry_after) = match result {
            Delivery::Delivered(code) => {
                store
                    .hook_delivered(&uid, &sid, now, &code.to_string(), &queued.id)
                    .await?;
                metrics::accepted(Queue::Webhook, job.detected_at_ms);
                tracing::info!(sub = %sid, msg = %job.msg_id, "webhook delivered");
                return Ok(Outcome::Delivered);
            }
            Delivery::Gone => {
                store.hook_failed(&uid, &sid, now, "410").await?;
                let why = "the receiver answered 410 Gone";
                self.disable(&user.email, &uid, &sid, url.as_str(), why)
                    .await?;
                let dead = dead(queued.body.clone(), why.into()).await;
                return dead.map(|_| Outcome::Disabled);
            }
            Delivery::Failed(result) => (result, None),
            Delivery::Retry { result, after } => (result, Some(after)),
        };
        let since = store.hook_failed(&uid, &sid, now, &summary).await?;
        tracing::warn!(sub = %sid, msg = %job.msg_id, result = %summary, attempt = job.attempt + 1, "webhook delivery failed");
        let failing_for = Duration::from_millis(now.saturating_sub(since));
        if failing_for >= self.disable_after {
            let why = format!(
                "it failed for {} h without a success (last: {summary})",
                failing_for.as_secs() / 3600
            );
            self.disable(&user.email, &uid, &sid, url.as_str(), &why)
                .await?;
            let dead = dead(queued.body.clone(), why).await;
            return dead.map(|_| Outcome::Disabled);
        }
        let wait = match (retry_after, self.schedule.get(job.attempt as usize)) {
            (Some(after), Some(step)) => {
                let step = step.mul_f64(rand::random_range(0.9..1.1));
                step.max(after.unwrap_or_default().min(Duration::from_secs(86_400)))
            }
            _ => return dead(queued.body.clone(), summary).await, // not retryable, or out of attempts
        };
        job.attempt += 1;
        let due = now + wait.as_millis() as u64;
        store
            .retry_job_later(Queue::Webhook, &queued.id, &job.to_json()?, due)
            .await?;
        Ok(Outcome::Retried)
    }
}

impl WebhookHandler {
    /// Disables the webhook and, the first time, tells its owner by email.
    async fn disable(
        &self,
        email: &str,
        uid: &str,
        sid: &str,
        url: &str,
        why: &str,
    ) -> Result<(), StoreError> {
        if !self.store.hook_disable(uid, sid, now_ms(), why).await? {
            return Ok(());
        }
        tracing::warn!(sub = %sid, reason = %why, "webhook disabled");
        let Ok(to) = EmailAddress::parse(email) else {
            return Ok(());
        };
        let text = format!(
            "redis-hack turned off the webhook of your subscription {sid}:\n  {url}\nbecause {why}.\n\n\
             Nothing more is sent to it. Email alerts, if on, continue. To use a webhook again, \
             run `redis-hack unsubscribe {sid}` and subscribe again with --webhook.\n"
        );
        let html = format!(
            "<!doctype html><html><body><pre>{}</pre></body></html>",
            text.replace('<', "&lt;")
        );
        if let Err(e) = self
            .mailer
            .send(&to, "Your redis-hack webhook was turned off", text, html)
            .await
        {
            tracing::warn!(error = %e, "could not email the owner of a disabled webhook");
        }
        Ok(())
    }
}
