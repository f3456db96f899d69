//! One scrape of `/metrics`: the process-wide registry, then the figures
//! every process shares and only Redis knows, read at scrape time: the poll
//! budget in use and each queue's depth and oldest job (summed over its
//! partitions, and the jobs queued per partition). Redis down (or slower
//! than 2 s) leaves those out and says so with `redis_hack_redis_up 0`,
//! rather than failing the scrape. Last, the store's waits for replicas,
//! which the store counts itself (it knows nothing of metrics).

use super::REGISTRY;
use super::registry::OutcomeLabel;
use crate::store::{Queue, QueueDepth, Store, StoreError, now_ms, replication_waits};
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// The `Content-Type` of what [`render`] returns: Prometheus text, 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// How long a scrape waits for Redis.
const REDIS_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct QueueLabel {
    queue: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PartitionLabel {
    queue: &'static str,
    partition: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct QueueStateLabel {
    queue: &'static str,
    state: &'static str,
}

/// What Redis holds for every process.
struct Shared {
    budget_in_use: u64,
    /// Each queue's depth by partition.
    queues: Vec<(&'static str, Vec<QueueDepth>)>,
}

async fn read_shared(store: &Store, budget_window: Duration) -> Result<Shared, StoreError> {
    let budget_in_use = store.budget_in_use(now_ms(), budget_window).await?;
    let mut queues = Vec::new();
    for (name, q) in [("email", Queue::Email), ("webhook", Queue::Webhook)] {
        queues.push((name, store.partition_depths(q).await?));
    }
    Ok(Shared {
        budget_in_use,
        queues,
    })
}

/// The whole exposition, in the Prometheus text format ([`CONTENT_TYPE`]),
/// with the poll budget of `budget_calls` per `budget_window`.
pub async fn render(
    store: &Store,
    budget_calls: u32,
    budget_window: Duration,
) -> Result<String, std::fmt::Error> {
    let shared = tokio::time::timeout(REDIS_WAIT, read_shared(store, budget_window)).await;
    let mut now = Registry::with_prefix("redis_hack");
    let gauge = |value: i64| {
        let g: Gauge = Gauge::default();
        g.set(value);
        g
    };
    now.register(
        "poll_budget_calls",
        "Upstream calls the shared budget allows per window (POLL_BUDGET)",
        gauge(i64::from(budget_calls)),
    );
    now.register_with_unit(
        "poll_budget_window",
        "The budget's sliding window",
        Unit::Seconds,
        gauge(budget_window.as_secs() as i64),
    );
    let up = match shared {
        Ok(Ok(shared)) => {
            register_shared(&mut now, &shared);
            1
        }
        _ => 0,
    };
    now.register(
        "redis_up",
        "1 if this scrape could read Redis; 0 leaves out the figures read from it",
        gauge(up),
    );
    register_waits(&mut now);
    let mut out = String::new();
    prometheus_text::encode(&mut out, &REGISTRY)?;
    prometheus_text::encode(&mut out, &now)?;
    Ok(out)
}

/// The store's waits for replicas (`REDIS_WAIT_REPLICAS`) in this process,
/// both outcomes always shown (0 while waiting is off).
fn register_waits(now: &mut Registry) {
    let waits = replication_waits();
    let family = Family::<OutcomeLabel, Counter>::default();
    for (outcome, n) in [("acked", waits.acked), ("short", waits.short)] {
        family.get_or_create(&OutcomeLabel { outcome }).inc_by(n);
    }
    now.register(
        "replication_waits",
        "Writes holding a subscriber's data that waited for REDIS_WAIT_REPLICAS replicas: acked (in time) or short (on the master only)",
        family,
    );
}

fn register_shared(now: &mut Registry, shared: &Shared) {
    let in_use: Gauge = Gauge::default();
    in_use.set(shared.budget_in_use as i64);
    now.register(
        "poll_budget_in_use",
        "Upstream calls taken in the current budget window, by every process",
        in_use,
    );
    let jobs = Family::<QueueStateLabel, Gauge>::default();
    let oldest = Family::<QueueLabel, Gauge<f64, AtomicU64>>::default();
    let per_partition = Family::<PartitionLabel, Gauge>::default();
    let now_ms = now_ms();
    for (queue, parts) in &shared.queues {
        for (partition, part) in (0..).zip(parts) {
            per_partition
                .get_or_create(&PartitionLabel { queue, partition })
                .set(part.queued as i64);
        }
        let depth = &QueueDepth::sum(parts);
        for (state, n) in [
            ("queued", depth.queued),
            ("retrying", depth.retrying),
            ("dead", depth.dead),
        ] {
            jobs.get_or_create(&QueueStateLabel { queue, state })
                .set(n as i64);
        }
        let age_ms = depth.oldest_ms.map_or(0, |at| now_ms.saturating_sub(at));
        oldest
            .get_or_create(&QueueLabel { queue })
            .set(age_ms as f64 / 1000.0);
    }
    now.register(
        "queue_jobs",
        "Jobs per delivery queue and state: queued (on the stream, including in flight), retrying, dead",
        jobs,
    );
    now.register(
        "queue_partition_jobs",
        "Jobs on each partition's stream (QUEUE_PARTITIONS per queue), including in flight",
        per_partition,
    );
    now.register_with_unit(
        "queue_oldest_job_age",
        "Age of the oldest job on each queue's stream (0 when empty); a retried job counts from when it was put back",
        Unit::Seconds,
        oldest,
    );
}
