//! The email worker's decisions, without I/O: which of the user's current
//! subscriptions an alert job still reaches and by which channel
//! ([`route`]), which of them are in their quiet hours and hold it for a
//! digest ([`Routing::hold_quiet`]), and what to do after a failed send
//! ([`RetryPolicy`]).

use crate::delivery::{AlertJob, Outcome, Step};
use redis_hack_shared::{Subscription, SubscriptionId, Target, Timestamp};
use std::time::Duration;

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
    /// Back-off before attempt `failures + 1`, before jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
            .min(self.max)
    }

    /// After the `failures`-th failed send (this one counted) at `now_ms`:
    /// retry after the back-off times `jitter`, or give up with `error`.
    pub fn next_step(&self, failures: u32, now_ms: u64, jitter: f64, error: &str) -> Step {
        if failures >= self.max_attempts {
            return Step::Dead(error.to_owned());
        }
        let wait = self.backoff(failures).mul_f64(jitter);
        Step::Retry {
            due_ms: now_ms + wait.as_millis() as u64,
        }
    }
}

/// Where one alert job goes, given the user's subscriptions now.
#[derive(Debug, PartialEq, Eq)]
pub struct Routing {
    /// The matched subscriptions that still exist, oldest first.
    pub matched: Vec<Subscription>,
}

impl Routing {
    /// Those with a webhook: each gets a webhook job.
    pub fn hooks(&self) -> impl Iterator<Item = &Subscription> {
        self.matched.iter().filter(|s| s.channels.webhook.is_some())
    }

    /// Those with email on: one email covers them all, about the first's target.
    pub fn by_email(&self) -> Vec<&Subscription> {
        self.matched.iter().filter(|s| s.channels.email).collect()
    }

    /// Their ids, for the history and the unsubscribe link.
    pub fn email_ids(&self) -> Vec<SubscriptionId> {
        self.by_email().iter().map(|s| s.id.clone()).collect()
    }

    /// What the email is about: the first of them's target; none when no
    /// email goes out.
    pub fn email_about(&self) -> Option<&Target> {
        let first = self.matched.iter().find(|s| s.channels.email);
        first.map(|s| &s.target)
    }

    /// Takes out the subscriptions whose quiet hours cover `now`, each with
    /// when its window ends: their alert waits for the digest then.
    pub fn hold_quiet(&mut self, now: Timestamp) -> Vec<(Subscription, Timestamp)> {
        let mut held = Vec::new();
        self.matched.retain(|s| {
            let end = s.quiet.and_then(|q| q.ends_after(now, &s.tz));
            if let Some(end) = end {
                held.push((s.clone(), end));
            }
            end.is_none()
        });
        held
    }

    /// What a job that sends no email came to: handed to webhooks, or
    /// nothing left to deliver.
    pub fn without_email(&self) -> Outcome {
        match self.matched.is_empty() {
            true => Outcome::Dropped,
            false => Outcome::Routed,
        }
    }
}

/// The job's subscriptions among `subscriptions` (those removed since
/// detection are left out).
pub fn route(job: &AlertJob, subscriptions: Vec<Subscription>) -> Routing {
    Routing {
        matched: subscriptions
            .into_iter()
            .filter(|s| job.sids.contains(&s.id))
            .collect(),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
