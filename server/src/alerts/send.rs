//! Sending one alert email (or a `Gone:` follow-up) and settling its job:
//! acknowledged and recorded only after the SMTP server accepted the message
//! (at-least-once); a failure is retried with exponential back-off and
//! jitter, then dead-lettered. A permanent refusal (5xx) suspends the user's
//! email channel instead: no retry, no dead letter, and an `email.suspended`
//! event to their webhooks.

use super::email::render;
use super::gone_email::render_gone;
use super::times::AlertTimes;
use super::worker::{EmailHandler, Recipient};
use crate::delivery::step::jitter;
use crate::delivery::{AlertJob, DeliveryError, Outcome, Step, WebhookJob, settle};
use crate::mail::{ListUnsubscribe, Thread};
use crate::metrics;
use crate::store::{Moment, Queue, QueuedJob, UserDoc, now_ms};
use redis_hack_shared::UserId;
use std::time::Instant;

impl EmailHandler {
    /// Sends the alert to `to` and settles the job: acknowledged and
    /// recorded once SMTP accepted it, else retried or dead-lettered.
    pub(super) async fn send(
        &self,
        queued: &QueuedJob,
        mut job: AlertJob,
        to: Recipient<'_>,
    ) -> Result<Outcome, DeliveryError> {
        let Recipient {
            email: to,
            about,
            sids,
            created,
            user,
            tz,
        } = to;
        let unsubscribe = ListUnsubscribe {
            url: self.links.url(&job.uid, &created),
            mailto: self.unsubscribe_mailto.clone(),
        };
        let times = AlertTimes::of(&job, &tz, now_ms());
        let domain = self.mailer.domain();
        let ((subject, text, html), thread) = match &job.follows {
            Some(alert) => (
                render_gone(&job, about, &unsubscribe.url),
                Thread {
                    message_id: format!("gone.{}@{domain}", job.id),
                    in_reply_to: Some(AlertJob::message_id(alert, &domain)),
                },
            ),
            None => (
                render(&job, about, &unsubscribe.url, &times),
                Thread {
                    message_id: AlertJob::message_id(&job.id, &domain),
                    in_reply_to: None,
                },
            ),
        };
        let started = Instant::now();
        let sent = self.mailer.send_in_thread(
            to,
            &subject,
            (text, html),
            Some(&unsubscribe),
            Some(&thread),
        );
        let sent = sent.await;
        metrics::attempt(Queue::Email, started.elapsed());
        let store = &self.store;
        let Err(e) = sent else {
            if job.digest.is_none() {
                // A digest waited for quiet hours on purpose: not a delivery delay.
                metrics::accepted(Queue::Email, job.detected_at_ms);
            }
            tracing::info!(to = %to.masked(), openings = job.len(), "alert delivered");
            store.ack_job(Queue::Email, &queued.id).await?;
            if job.follows.is_none() {
                store
                    .record(&job.uid, &sids, Moment::Alerted, now_ms())
                    .await?;
            }
            return Ok(Outcome::Delivered);
        };
        if let Some(reply) = e.refusal() {
            return self.suspend(queued, &job.uid, user, reply).await;
        }
        job.attempt += 1;
        let step = self
            .policy
            .next_step(job.attempt, now_ms(), jitter(0.2), &e.to_string());
        match &step {
            Step::Retry { due_ms } => {
                let retry_in_s = due_ms.saturating_sub(now_ms()) / 1000;
                tracing::warn!(to = %to.masked(), error = %e, attempt = job.attempt, retry_in_s, "alert delivery failed");
            }
            _ => {
                tracing::warn!(to = %to.masked(), error = %e, attempt = job.attempt, "alert dead-lettered")
            }
        }
        Ok(settle(store, Queue::Email, &queued.id, &step, &job.to_json()?).await?)
    }

    /// The mail server refused the address for good: suspends the user's
    /// email channel, tells each of their webhooks (the first time), and
    /// acknowledges the job without retrying or dead-lettering it.
    async fn suspend(
        &self,
        queued: &QueuedJob,
        uid: &UserId,
        user: &UserDoc,
        reply: &str,
    ) -> Result<Outcome, DeliveryError> {
        let (store, now) = (&self.store, now_ms());
        if !store.suspend_email(uid, reply, now).await? {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Suspended);
        }
        tracing::warn!(to = %user.email.masked(), reply, "address refused for good; alert emails suspended");
        let hooks: Vec<String> = user
            .subscriptions()
            .iter()
            .filter(|s| s.channels.webhook.is_some())
            .map(|s| WebhookJob::email_suspended(uid, s, reply, now).to_json())
            .collect::<Result<_, _>>()?;
        store
            .route_and_ack(Queue::Email, &queued.id, Queue::Webhook, &hooks)
            .await?;
        Ok(Outcome::Suspended)
    }
}
