//! Prometheus metrics: one process-wide registry that the poller, both
//! delivery workers and the HTTP layer record into, and `/metrics` renders
//! (`scrape`, which adds the figures read from Redis at scrape time). Every
//! name starts with `redis_hack_`. Labels take a few fixed values each (the
//! HTTP ones a route template, never a raw path: an unsubscribe link carries
//! a secret token), so no label can grow without bound.

mod http;
mod registry;
mod scrape;

pub use http::track_http;
pub use scrape::{CONTENT_TYPE, render};

use crate::alerts::Outcome;
use crate::store::{Queue, StoreError};
use redis_hack_shared::{Filters, Session};
use registry::{
    ChannelLabel, DeliveryLabel, KindLabel, METRICS, OutcomeLabel, POLL_OUTCOMES, REGISTRY,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A delivery queue is its channel, as a label.
fn channel(queue: Queue) -> &'static str {
    match queue {
        Queue::Email => "email",
        Queue::Webhook => "webhook",
    }
}

/// The `outcome` label of a delivery.
fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Delivered => "delivered",
        Outcome::Routed => "routed",
        Outcome::Retried => "retried",
        Outcome::Dead => "dead",
        Outcome::Disabled => "disabled",
        Outcome::Dropped => "dropped",
    }
}

/// The kind of a target (`d:97`, `p:800001`, `t:cs101`), as a label.
fn kind(target: &str) -> &'static str {
    match target.split_once(':').map(|(k, _)| k) {
        Some("d") => "district",
        Some("p") => "pincode",
        Some("t") => "topic",
        _ => "other",
    }
}

/// One poll round's upstream calls.
pub fn polls(round: &crate::poller::Round) {
    let m = &*METRICS;
    let counts = [
        round.fetched,
        round.not_modified,
        round.errors,
        round.rate_limited,
    ];
    for (outcome, n) in POLL_OUTCOMES.into_iter().zip(counts) {
        m.polls
            .get_or_create(&OutcomeLabel { outcome })
            .inc_by(n as u64);
    }
    // `deferred` also counts the targets a 403/429 put off.
    m.deferred
        .inc_by(round.deferred.saturating_sub(round.rate_limited) as u64);
}

/// A poll of `target` that found `openings` (per filter set) and queued `jobs`.
pub fn polled_openings(target: &str, openings: &HashMap<Filters, Vec<Session>>, jobs: usize) {
    let sessions: HashSet<&str> = openings
        .values()
        .flatten()
        .map(|s| s.session_id.as_str())
        .collect();
    opened(kind(target), sessions.len(), jobs);
}

/// One opening published on a topic, fanned out to `jobs` users.
pub fn published_opening(jobs: usize) {
    opened("topic", 1, jobs);
}

fn opened(kind: &'static str, openings: usize, jobs: usize) {
    let label = KindLabel { kind };
    METRICS
        .openings
        .get_or_create(&label)
        .inc_by(openings as u64);
    METRICS.alert_jobs.get_or_create(&label).inc_by(jobs as u64);
}

/// What became of one job; a store error (the job stays pending and is
/// taken over later) counts as `store_error`.
pub fn delivery(queue: Queue, done: &Result<Outcome, StoreError>) {
    let outcome = done.as_ref().map_or("store_error", |o| outcome(*o));
    METRICS
        .deliveries
        .get_or_create(&DeliveryLabel {
            channel: channel(queue),
            outcome,
        })
        .inc();
}

/// One delivery attempt took `took`, whatever its result.
pub fn attempt(queue: Queue, took: Duration) {
    METRICS
        .send_time
        .get_or_create(&ChannelLabel {
            channel: channel(queue),
        })
        .observe(took.as_secs_f64());
}

/// A delivery accepted now, of an opening detected at `detected_at_ms`
/// (0: a job queued before jobs carried it; not observed).
pub fn accepted(queue: Queue, detected_at_ms: u64) {
    if detected_at_ms == 0 {
        return;
    }
    let waited = crate::store::now_ms().saturating_sub(detected_at_ms);
    METRICS
        .detection_to_delivery
        .get_or_create(&ChannelLabel {
            channel: channel(queue),
        })
        .observe(waited as f64 / 1000.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_kind_has_its_label() {
        assert_eq!(kind("d:97"), "district");
        assert_eq!(kind("p:800001"), "pincode");
        assert_eq!(kind("t:cs101"), "topic");
        assert_eq!(kind("x"), "other");
    }
}
