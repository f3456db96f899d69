//! How full each delivery queue is, for `/metrics` and `/v1/status`: jobs on
//! the stream, parked for retry and dead-lettered, and the age of the oldest
//! job on the stream, per partition and summed over them. Read-only; one
//! pipeline per partition, all sent at once.

use super::queue::{Entry, Queue};
use super::{Store, StoreError};

/// One queue's (or one partition's) backlog at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Jobs on the stream: waiting, or in a worker's hands (not yet acknowledged).
    pub queued: u64,
    /// Jobs parked in `{stream}:retry` until their next attempt.
    pub retrying: u64,
    /// Jobs in `{stream}:dead`.
    pub dead: u64,
    /// When the oldest job on the stream was added (ms since the epoch);
    /// `None` when the stream is empty.
    pub oldest_ms: Option<u64>,
}

impl QueueDepth {
    /// The backlog of several partitions together: counts added, the oldest
    /// of the oldest.
    pub fn sum(parts: &[Self]) -> Self {
        parts.iter().fold(Self::default(), |a, b| Self {
            queued: a.queued + b.queued,
            retrying: a.retrying + b.retrying,
            dead: a.dead + b.dead,
            oldest_ms: match (a.oldest_ms, b.oldest_ms) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
        })
    }
}

impl Store {
    /// The backlog of `q`, all partitions together.
    pub async fn queue_depth(&self, q: Queue) -> Result<QueueDepth, StoreError> {
        Ok(QueueDepth::sum(&self.partition_depths(q).await?))
    }

    /// The backlog of each partition of `q`, by partition index. Delivered
    /// jobs are deleted from the stream, so its first entry is the oldest job
    /// not yet delivered; a stream id starts with the time it was added (a
    /// retried job is re-added when it is due).
    pub async fn partition_depths(&self, q: Queue) -> Result<Vec<QueueDepth>, StoreError> {
        self.each_partition(|p| async move {
            let stream = self.queue_key(q, p, "");
            let (queued, retrying, dead, first): (u64, u64, u64, Vec<Entry>) = redis::pipe()
                .cmd("XLEN")
                .arg(&stream)
                .cmd("ZCARD")
                .arg(self.queue_key(q, p, ":retry"))
                .cmd("XLEN")
                .arg(self.queue_key(q, p, ":dead"))
                .cmd("XRANGE")
                .arg(&stream)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut self.conn())
                .await?;
            Ok(QueueDepth {
                queued,
                retrying,
                dead,
                oldest_ms: first
                    .first()
                    .and_then(|(id, _)| id.split_once('-'))
                    .and_then(|(ms, _)| ms.parse().ok()),
            })
        })
        .await
    }
}
