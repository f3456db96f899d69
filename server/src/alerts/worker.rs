//! The email worker: the handler of the `email` queue. For each alert job it
//! first hands the alert to the user's webhooks (queueing one webhook job per
//! subscription with a webhook, once: `routed`), then has one email sent to
//! the user if any matched subscription has email on (`send`: at-least-once,
//! retries, dead letters and suspension of a refused address). Subscriptions
//! in their quiet hours get nothing now: the job is held for them (`digest`
//! sends it when the window ends). The decisions are in `decide`; this is
//! the I/O around them.

use super::decide::{RetryPolicy, Routing, route};
use crate::delivery::{AlertJob, DeliveryError, Handler, Outcome, Pump, Step, WebhookJob, settle};
use crate::mail::Mailer;
use crate::store::{Disarm, Queue, QueuedJob, Store, UserDoc};
use crate::unsubscribe::UnsubscribeLinks;
use redis_hack_shared::{EmailAddress, SubscriptionId, Target, TimeZoneName, Timestamp};

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

/// Who an alert email goes to, about what, for which subscriptions.
pub(super) struct Recipient<'a> {
    pub(super) email: &'a EmailAddress,
    pub(super) about: &'a Target,
    pub(super) sids: Vec<SubscriptionId>,
    /// The same, with their creation times, for the unsubscribe link.
    pub(super) created: Vec<(SubscriptionId, Timestamp)>,
    /// The user's subscriptions, for `email.suspended` events.
    pub(super) user: &'a UserDoc,
    /// The zone the email's times are shown in (the first emailed subscription's).
    pub(super) tz: TimeZoneName,
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
}
