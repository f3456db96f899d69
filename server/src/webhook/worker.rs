//! The webhook worker: the handler of the `webhook` queue. It signs and POSTs
//! each job to its subscription's URL and records how the webhook is doing.
//! What follows an attempt (retry, dead-letter, disable) is decided in
//! `decide`; when a webhook is disabled its owner is emailed. Exhausted and
//! undeliverable jobs are dead-lettered; jobs for a disabled webhook too, so
//! an operator can replay them.

use super::client::{Delivery, HookClient};
use super::decide::{HookPolicy, next_step, summary};
use super::sign::Secret;
use crate::delivery::step::jitter;
use crate::delivery::{DeliveryError, Handler, Outcome, Pump, Step, WebhookJob, settle};
use crate::mail::Mailer;
use crate::metrics;
use crate::store::{Queue, QueuedJob, Store, UserDoc, now_ms};
use redis_hack_shared::{EmailAddress, WebhookUrl};
use std::time::Instant;

/// The webhook worker: the pump over the `webhook` queue.
pub type WebhookWorker = Pump<WebhookHandler>;

pub struct WebhookHandler {
    pub store: Store,
    pub mailer: Mailer,
    pub client: HookClient,
    pub policy: HookPolicy,
}

/// Where a job goes: the subscription's URL and secret, and who owns it.
struct Receiver {
    url: WebhookUrl,
    secret: String,
    owner: EmailAddress,
}

impl Receiver {
    /// The webhook of the job's subscription, if the subscription still has one.
    fn of(user: Option<UserDoc>, job: &WebhookJob) -> Option<Self> {
        let user = user?;
        Some(Self {
            url: user.subscription(&job.sid)?.channels.webhook?,
            secret: user.webhook_secret(&job.sid)?.to_owned(),
            owner: user.email,
        })
    }
}

impl Handler for WebhookHandler {
    const QUEUE: Queue = Queue::Webhook;

    async fn handle(&self, queued: QueuedJob) -> Result<Outcome, DeliveryError> {
        let (store, id, body) = (&self.store, &queued.id, &queued.body);
        let give_up = move |why: String| async move {
            settle(store, Queue::Webhook, id, &Step::Dead(why), body).await
        };
        let job: WebhookJob = match serde_json::from_str(&queued.body) {
            Ok(job) => job,
            Err(e) => return Ok(give_up(format!("unreadable job: {e}")).await?),
        };
        let (user, status) = store.user_and_hook(&job.uid, &job.sid).await?;
        let Some(receiver) = Receiver::of(user, &job) else {
            store.ack_job(Queue::Webhook, &queued.id).await?;
            return Ok(Outcome::Dropped); // unsubscribed since
        };
        if status.disabled_at.is_some() {
            let why = status.disabled_reason.unwrap_or_default();
            give_up(format!("webhook disabled: {why}")).await?;
            return Ok(Outcome::Disabled);
        }
        let Ok(secret) = Secret::parse(&receiver.secret) else {
            return Ok(give_up("the stored signing secret is unusable".into()).await?);
        };
        let started = Instant::now();
        let result = self
            .client
            .deliver(receiver.url.as_str(), &secret, &job.msg_id, &job.body)
            .await;
        metrics::attempt(Queue::Webhook, started.elapsed());
        self.settle(&queued, job, &receiver, &result).await
    }
}

impl WebhookHandler {
    /// Records how the attempt went and acknowledges, retries, dead-letters
    /// or disables accordingly.
    async fn settle(
        &self,
        queued: &QueuedJob,
        mut job: WebhookJob,
        receiver: &Receiver,
        result: &Delivery,
    ) -> Result<Outcome, DeliveryError> {
        let (store, now) = (&self.store, now_ms());
        let (uid, sid, got) = (&job.uid, &job.sid, summary(result));
        if let Delivery::Delivered(_) = result {
            store
                .hook_delivered(uid, sid, now, &got, &queued.id)
                .await?;
            metrics::accepted(Queue::Webhook, job.detected_at_ms);
            tracing::info!(sub = %sid, msg = %job.msg_id, "webhook delivered");
            return Ok(Outcome::Delivered);
        }
        let since = store.hook_failed(uid, sid, now, &got).await?;
        let step = next_step(job.attempt, result, &self.policy, since, now, jitter(0.1));
        tracing::warn!(sub = %sid, msg = %job.msg_id, result = %got, attempt = job.attempt + 1, "webhook delivery failed");
        if let Step::Disable(why) = &step {
            self.disable(receiver, &job, why).await?;
        }
        let body = match step {
            Step::Retry { .. } => {
                job.attempt += 1;
                job.to_json()?
            }
            _ => queued.body.clone(),
        };
        Ok(settle(store, Queue::Webhook, &queued.id, &step, &body).await?)
    }

    /// Disables the webhook and, the first time, tells its owner by email.
    async fn disable(
        &self,
        receiver: &Receiver,
        job: &WebhookJob,
        why: &str,
    ) -> Result<(), DeliveryError> {
        let sid = &job.sid;
        if !self
            .store
            .hook_disable(&job.uid, sid, now_ms(), why)
            .await?
        {
            return Ok(());
        }
        tracing::warn!(sub = %sid, reason = %why, "webhook disabled");
        let url = &receiver.url;
        let text = format!(
            "redis-hack turned off the webhook of your subscription {sid}:\n  {url}\nbecause {why}.\n\n\
             Nothing more is sent to it. Email alerts, if on, continue. To use a webhook again, \
             run `redis-hack unsubscribe {sid}` and subscribe again with --webhook.\n"
        );
        let html = format!(
            "<!doctype html><html><body><pre>{}</pre></body></html>",
            text.replace('<', "&lt;")
        );
        let subject = "Your redis-hack webhook was turned off";
        if let Err(e) = self.mailer.send(&receiver.owner, subject, text, html).await {
            tracing::warn!(error = %e, "could not email the owner of a disabled webhook");
        }
        Ok(())
    }
}
