//! How full each delivery queue is, for `/metrics` and `/v1/status`: jobs on the stream, parked
//! for retry and dead-lettered, and the age of the oldest job on the stream.
//! Read-only; one round trip per queue.

use super::queue::{Entry, Queue};
use super::{Store, StoreError};

/// One queue's backlog at one moment.
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

impl Store {
    /// The backlog of `q`. Delivered jobs are deleted from the stream, so its
    /// first entry is the oldest job not yet delivered; a stream id starts
    /// with the time it was added (a retried job is re-added when it is due).
    pub async fn queue_depth(&self, q: Queue) -> Result<QueueDepth, StoreError> {
        let stream = self.key(q.stream());
        let (queued, retrying, dead, first): (u64, u64, u64, Vec<Entry>) = redis::pipe()
            .cmd("XLEN")
            .arg(&stream)
            .cmd("ZCARD")
            .arg(self.key(&format!("{}:retry", q.stream())))
            .cmd("XLEN")
            .arg(self.key(&format!("{}:dead", q.stream())))
            .cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.conn())
            .await?;
        let oldest_ms = first
            .first()
            .and_then(|(id, _)| id.split_once('-'))
            .and_then(|(ms, _)| ms.parse().ok());
        Ok(QueueDepth {
            queued,
            retrying,
            dead,
            oldest_ms,
        })
    }
}
