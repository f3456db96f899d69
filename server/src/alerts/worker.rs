//! The email worker: the handler of the `email` queue. For each alert job it
//! first hands the alert to the user's webhooks (queueing one webhook job per
//! subscription with a webhook, once: `routed`), then sends one email to the
//! user if any matched subscription has email on. A job is acknowledged only
//! after the SMTP server accepted the message (at-least-once); a failure is
//! retried with exponential back-off and jitter, then dead-lettered. A
//! permanent refusal (5xx) suspends the user's email channel instead: no
//! retry, no dead letter, and an `email.suspended` event to their webhooks.
//! Subscriptions in their quiet hours get nothing now: the job is held for
//! them (`digest` sends it when the window ends). The decisions are in
//! `decide`; this is the I/O around them.

use super::decide::{RetryPolicy, Routing, route};
use super::email::render;
use super::gone_email::render_gone;
use super::times::AlertTimes;
use crate::delivery::step::jitter;
use crate::delivery::{AlertJob, DeliveryError, Handler, Outcome, Pump, Step, WebhookJob, settle};
use crate::mail::{ListUnsubscribe, Mailer, Thread};
use crate::metrics;
use crate::store::{Disarm, Moment, Queue, QueuedJob, Store, UserDoc, now_ms};
use crate::unsubscribe::UnsubscribeLinks;
use redis_hack_shared::{EmailAddress, SubscriptionId, Target, TimeZoneName, Timestamp, UserId};
use std::time::Instant;

/// Who an alert email goes to, about what, for which subscriptions.
struct Recipient<'a> {
    email: &'a EmailAddress,
    about: &'a Target,
    sids: Vec<SubscriptionId>,
    /// The same, with their creation times, for the unsubscribe link.
    created: Vec<(SubscriptionId, Timestamp)>,
    /// The user's subscriptions, for `email.suspended` events.
    user: &'a UserDoc,
    /// The zone the email's times are shown in (the first emailed subscription's).
    tz: TimeZoneName,
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
            // The user is gone, and so are their subscriptions.
            store
                .drop_stale_entries(&job.uid, &job.target, &job.sids)
                .await?;
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Dropped);
        };
        self.drop_stale(&job, &user).await?;
        let mut routing = self
            .only_armed(&job, route(&job, user.subscriptions()))
            .await?;
        if job.follows.is_some() {
            // A follow-up is not held but dropped in quiet hours: it only says
            // that slots are gone, and a held alert's digest counts those anyway.
            let quiet = routing.hold_quiet(Timestamp::now());
            job.sids.retain(|s| !quiet.iter().any(|(q, _)| q.id == *s));
        } else if !job.routed && self.hold_quiet(&mut job, &mut routing).await? {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Held);
        }
        if !job.routed && self.route_to_webhooks(&queued, &mut job, &routing).await? {
            return Ok(routing.without_email());
        }
        let first = routing.by_email().first().map(|s| s.tz.clone());
        let (Some(about), Some(tz)) = (routing.email_about(), first) else {
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(routing.without_email());
        };
        if user.email_suspension().is_some() {
            // Webhooks got it above; the address refused for good before.
            store.ack_job(Queue::Email, &queued.id).await?;
            return Ok(Outcome::Suspended);
        }
        let to = Recipient {
            email: &user.email,
            about,
            sids: routing.email_ids(),
            created: routing
                .by_email()
                .iter()
                .map(|s| (s.id.clone(), s.created_at))
                .collect(),
            user: &user,
            tz,
        };
        self.send(&queued, job, to).await
    }
}

impl EmailHandler {
    /// Deletes the index entries that made this job for subscriptions no
    /// longer in the user's document (left by a crash or a race between a
    /// subscribe and an unsubscribe: the document is the source of truth).
    /// `route` leaves those subscriptions out, so nothing is sent for them.
    async fn drop_stale(&self, job: &AlertJob, user: &UserDoc) -> Result<(), DeliveryError> {
        let subs = user.subscriptions();
        let stale: Vec<SubscriptionId> = job
            .sids
            .iter()
            .filter(|sid| !subs.iter().any(|s| s.id == **sid))
            .cloned()
            .collect();
        if !stale.is_empty() {
            tracing::info!(uid = %job.uid, target = %job.target, stale = stale.len(), "index entries of removed subscriptions dropped");
            self.store
                .drop_stale_entries(&job.uid, &job.target, &stale)
                .await?;
        }
        Ok(())
    }

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

    /// Holds the job for every matched subscription in its quiet hours
    /// (taking them out of `routing` and of the job); `true` when none is
    /// left to deliver to now. Holding twice (a job handled again) keeps one copy.
    async fn hold_quiet(
        &self,
        job: &mut AlertJob,
        routing: &mut Routing,
    ) -> Result<bool, DeliveryError> {
        let held = routing.hold_quiet(Timestamp::now());
        for (sub, end) in &held {
            let one = AlertJob {
                sids: vec![sub.id.clone()],
                ..job.clone()
            };
            self.store
                .hold_alert(&job.uid, &sub.id, &job.id, &one.to_json()?, end.as_ms())
                .await?;
            tracing::info!(sub = %sub.id, until = %end, "alert held for quiet hours");
        }
        job.sids.retain(|s| !held.iter().any(|(h, _)| h.id == *s));
        Ok(!held.is_empty() && routing.matched.is_empty())
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
        self.store
            .enqueue_for(Queue::Webhook, &job.uid, &hooks)
            .await?;
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
}

impl EmailHandler {
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
