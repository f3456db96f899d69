//! The email worker: the handler of the `email` queue. For each alert job it
//! first hands the alert to the user's webhooks (queueing one webhook job per
//! subscription with a webhook, once: `routed`), then sends one email to the
//! user if any matched subscription has email on. A job is acknowledged only
//! after the SMTP server accepted the message (at-least-once); a failure is
//! retried with exponential back-off and jitter, then dead-lettered. The
//! decisions are in `decide`; this is the I/O around them.

use super::decide::{RetryPolicy, Routing, route};
use super::email::render;
use super::gone_email::render_gone;
use crate::delivery::step::jitter;
use crate::delivery::{AlertJob, DeliveryError, Handler, Outcome, Pump, Step, WebhookJob, settle};
use crate::mail::{ListUnsubscribe, Mailer, Thread};
use crate::metrics;
use crate::store::{Disarm, Moment, Queue, QueuedJob, Store, now_ms};
use crate::unsubscribe::UnsubscribeLinks;
use redis_hack_shared::{EmailAddress, SubscriptionId, Target, Timestamp};
use std::time::Instant;

/// Who an alert email goes to, about what, for which subscriptions.
struct Recipient<'a> {
    email: &'a EmailAddress,
    about: &'a Target,
    sids: Vec<SubscriptionId>,
    /// The same, with their creation times, for the unsubscribe link.
    created: Vec<(SubscriptionId, Timestamp)>,
}

/// The email worker: the pump over the `email` queue with [`EmailHandler`].
pub type Worker = Pump<EmailHandler>;

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

    async fn handle(&self, queued: QueuedJob) -> Result<Outcome, DeliveryError> {
        let store = &self.store;
        let mut job: AlertJob = match serde_json::from_str(&queued.body) {
            Ok(job) => job,
            Err(e) => {
                let why = format!("unreadable job: {e}");
                let dead = Step::Dead(why);
                return Ok(settle(store, Queue::Email, &queued.id, &dead, &queued.body).await?);
            }
        };
        let Some(user) = store.user(&job.uid).await? else {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Dropped);
        };
        let routing = self
            .only_armed(&job, route(&job, user.subscriptions()))
            .await?;
        if !job.routed && self.route_to_webhooks(&queued, &mut job, &routing).await? {
            return Ok(routing.without_email());
        }
        let Some(about) = routing.email_about() else {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(routing.without_email());
        };
        let to = Recipient {
            email: &user.email,
            about,
            sids: routing.email_ids(),
            created: routing
                .by_email()
                .iter()
                .map(|s| (s.id.clone(), s.created_at))
                .collect(),
        };
        self.send(&queued, job, to).await
    }
}

impl EmailHandler {
    /// `routing` without the one-shot subscriptions another alert disarmed;
    /// those this alert disarms stay in. Follow-ups go to every matched
    /// subscription that wants them, armed or not.
    async fn only_armed(&self, job: &AlertJob, routing: Routing) -> Result<Routing, DeliveryError> {
        let mut matched = Vec::with_capacity(routing.matched.len());
        for sub in routing.matched {
            let keep = match &job.follows {
                Some(_) => sub.followup,
                None if !sub.once => true,
                None => {
                    let disarm =
                        self.store
                            .disarm(&job.uid, &sub.id, &job.target, job.detected_at_ms);
                    disarm.await? != Disarm::AlreadyDisarmed
                }
            };
            if keep {
                matched.push(sub);
            }
        }
        Ok(Routing { matched })
    }

    /// Queues the job's webhook jobs and marks it `routed`. When nothing
    /// goes by email, the job is acknowledged in the same round trip and
    /// `true` says it is done.
    async fn route_to_webhooks(
        &self,
        queued: &QueuedJob,
        job: &mut AlertJob,
        routing: &Routing,
    ) -> Result<bool, DeliveryError> {
        let hooks: Vec<String> = routing
            .hooks()
            .map(|s| WebhookJob::for_alert(job, s).to_json())
            .collect::<Result<_, _>>()?;
        if routing.by_email().is_empty() {
            self.store
                .route_and_ack(Queue::Email, &queued.id, Queue::Webhook, &hooks)
                .await?;
            return Ok(true);
        }
        self.store.enqueue_many(Queue::Webhook, &hooks).await?;
        job.routed = true;
        Ok(false)
    }

    /// Sends the alert to `to` and settles the job: acknowledged and
    /// recorded once SMTP accepted it, else retried or dead-lettered.
    async fn send(
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
        } = to;
        let unsubscribe = ListUnsubscribe {
            url: self.links.url(&job.uid, &created),
            mailto: self.unsubscribe_mailto.clone(),
        };
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
                render(&job, about, &unsubscribe.url),
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
            metrics::accepted(Queue::Email, job.detected_at_ms);
            tracing::info!(to = %to.masked(), openings = job.len(), "alert delivered");
            store.ack_job(Queue::Email, &queued.id).await?;
            if job.follows.is_none() {
                store
                    .record(&job.uid, &sids, Moment::Alerted, now_ms())
                    .await?;
            }
            return Ok(Outcome::Delivered);
        };
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
}
