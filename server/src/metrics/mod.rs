//! Prometheus metrics: one process-wide registry that the poller, both
//! delivery workers and the HTTP layer record into, and `/metrics` renders
//! (`scrape`, which adds the figures read from Redis at scrape time). Every
//! name starts with `redis_hack_`. Labels take a few fixed values each (the
//! HTTP ones a route template, never a raw path: an unsubscribe link carries
//! a secret token), so no label can grow without bound.
//!
//! Every layer records into it, so it knows none of them: callers pass counts
//! and the label values their own types name (`Outcome::label`,
//! `TargetKey::kind`); only the delivery queues come from `store`.

mod http;
mod registry;
mod scrape;

pub use http::track_http;
pub use registry::DELIVERY_OUTCOMES;
pub use scrape::{CONTENT_TYPE, render};

use crate::store::Queue;
use registry::{
    ChannelLabel, DeliveryLabel, KindLabel, METRICS, OutcomeLabel, POLL_OUTCOMES, REGISTRY,
};
use std::time::Duration;

/// A delivery queue is its channel, as a label.
fn channel(queue: Queue) -> &'static str {
    queue.name()
}

/// One poll round's upstream calls by how they went, and the polls the
/// budget put off.
#[derive(Debug, Clone, Copy, Default)]
pub struct PollCalls {
    /// 200: fresh data.
    pub fresh: usize,
    pub not_modified: usize,
    pub errors: usize,
    /// Refused with 403/429 (they still spent budget).
    pub rate_limited: usize,
    /// Put off because the shared budget was used up.
    pub deferred: usize,
}

/// One poll round's upstream calls.
pub fn polls(calls: PollCalls) {
    let m = &*METRICS;
    let counts = [
        calls.fresh,
        calls.not_modified,
        calls.errors,
        calls.rate_limited,
    ];
    for (outcome, n) in POLL_OUTCOMES.into_iter().zip(counts) {
        m.polls
            .get_or_create(&OutcomeLabel { outcome })
            .inc_by(n as u64);
    }
    m.deferred.inc_by(calls.deferred as u64);
}

/// `openings` found on a target of `kind` (`district`, `pincode`, `topic`),
/// fanned out as `jobs` alert jobs.
pub fn opened(kind: &'static str, openings: usize, jobs: usize) {
    let label = KindLabel { kind };
    METRICS
        .openings
        .get_or_create(&label)
        .inc_by(openings as u64);
    METRICS.alert_jobs.get_or_create(&label).inc_by(jobs as u64);
}

/// What became of one job: an `outcome` label from [`DELIVERY_OUTCOMES`],
/// or `store_error` (the job stays pending and is taken over later).
pub fn delivery(queue: Queue, outcome: &'static str) {
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
