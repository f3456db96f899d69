//! The process-wide registry: every metric this process records, created
//! once (each series that can appear starts at 0, so rates work from the
//! first scrape), and the names and help texts `/metrics` shows.

use super::{channel, http};
use crate::store::Queue;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::LazyLock;

/// The `outcome` labels of `redis_hack_deliveries_total` each queue can
/// produce (besides `store_error`), so each series exists from the start.
pub const DELIVERY_OUTCOMES: [(Queue, &[&str]); 2] = [
    (
        Queue::Email,
        &[
            "delivered",
            "routed",
            "retried",
            "dead",
            "dropped",
            "held",
            "suspended",
        ],
    ),
    (
        Queue::Webhook,
        &["delivered", "disabled", "retried", "dead", "dropped"],
    ),
];

/// The `outcome` label of `redis_hack_polls_total`.
pub(super) const POLL_OUTCOMES: [&str; 4] = ["200", "304", "error", "rate_limited"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct OutcomeLabel {
    pub(super) outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct KindLabel {
    pub(super) kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct ChannelLabel {
    pub(super) channel: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct DeliveryLabel {
    pub(super) channel: &'static str,
    pub(super) outcome: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// The process-wide metrics; `REGISTRY` holds them (clones share their values).
pub(super) struct Metrics {
    pub(super) polls: Family<OutcomeLabel, Counter>,
    pub(super) deferred: Counter,
    pub(super) openings: Family<KindLabel, Counter>,
    pub(super) alert_jobs: Family<KindLabel, Counter>,
    pub(super) deliveries: Family<DeliveryLabel, Counter>,
    pub(super) send_time: Histograms<ChannelLabel>,
    pub(super) detection_to_delivery: Histograms<ChannelLabel>,
    pub(super) http: Histograms<http::RequestLabel>,
}

fn send_buckets() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
    ])
}

/// From well under a second to a day: retries stretch it to hours.
fn end_to_end_buckets() -> Histogram {
    Histogram::new([
        0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0,
        86400.0,
    ])
}

pub(super) static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let m = Metrics {
        polls: Family::default(),
        deferred: Counter::default(),
        openings: Family::default(),
        alert_jobs: Family::default(),
        deliveries: Family::default(),
        send_time: Family::new_with_constructor(send_buckets),
        detection_to_delivery: Family::new_with_constructor(end_to_end_buckets),
        http: Family::new_with_constructor(http::buckets),
    };
    for outcome in POLL_OUTCOMES {
        m.polls.get_or_create_owned(&OutcomeLabel { outcome });
    }
    for kind in ["district", "pincode", "topic"] {
        m.openings.get_or_create_owned(&KindLabel { kind });
        m.alert_jobs.get_or_create_owned(&KindLabel { kind });
    }
    for (queue, outcomes) in DELIVERY_OUTCOMES {
        let channel = channel(queue);
        for outcome in outcomes.iter().copied().chain(["store_error"]) {
            m.deliveries
                .get_or_create_owned(&DeliveryLabel { channel, outcome });
        }
        m.send_time.get_or_create_owned(&ChannelLabel { channel });
        m.detection_to_delivery
            .get_or_create_owned(&ChannelLabel { channel });
    }
    m
});

pub(super) static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let m = &*METRICS;
    let mut registry = Registry::with_prefix("redis_hack");
    registry.register(
        "polls",
        "Upstream calls by outcome: 200 (fresh data), 304 (not modified), error, rate_limited (403/429)",
        m.polls.clone(),
    );
    registry.register(
        "polls_deferred",
        "Polls put off because the shared budget was used up",
        m.deferred.clone(),
    );
    registry.register(
        "openings_detected",
        "Openings found, by target kind (district, pincode: sessions newly open; topic: openings published)",
        m.openings.clone(),
    );
    registry.register(
        "alert_jobs_queued",
        "Alert jobs queued (one per user per detection), by target kind",
        m.alert_jobs.clone(),
    );
    registry.register(
        "deliveries",
        "Jobs handled by the delivery workers, by channel and outcome",
        m.deliveries.clone(),
    );
    registry.register_with_unit(
        "delivery_attempt_duration",
        "Time of one delivery attempt: one SMTP send or one webhook POST",
        Unit::Seconds,
        m.send_time.clone(),
    );
    registry.register_with_unit(
        "detection_to_delivery",
        "From detecting an opening to its delivery being accepted (SMTP or a 2xx)",
        Unit::Seconds,
        m.detection_to_delivery.clone(),
    );
    registry.register_with_unit(
        "http_request_duration",
        "HTTP requests by method, route template and status",
        Unit::Seconds,
        m.http.clone(),
    );
    registry
});
