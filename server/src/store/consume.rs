//! Taking jobs off the partitioned queues (`queue.rs`): a worker reads every
//! partition, one XREADGROUP at a time (one XREADGROUP naming streams of
//! several slots is refused by a cluster), starting at a random partition so
//! busy workers share them fairly, and pauses (doubling up to
//! [`MAX_IDLE_PAUSE`]) while all are empty. Taking over what a dead consumer
//! held (XAUTOCLAIM) goes over the partitions the same way. A partition whose
//! consumer group is missing (never made, or lost by a Redis restart without
//! persistence) gets it on the spot.

use super::partition::{JobId, Partition};
use super::queue::{Entry, Queue, QueuedJob};
use super::{Store, StoreError};
use std::time::{Duration, Instant};

/// The longest pause between two sweeps of empty partitions while waiting.
const MAX_IDLE_PAUSE: Duration = Duration::from_millis(200);
type StreamReply = Vec<(String, Vec<Entry>)>;

impl Store {
    /// Up to `count` new jobs for `consumer` from any partition, waiting up
    /// to `block` for some to arrive: every partition is read without
    /// blocking, and while all are empty the sweep is repeated after a pause
    /// that doubles up to [`MAX_IDLE_PAUSE`].
    pub async fn read_jobs(
        &self,
        q: Queue,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        let until = Instant::now() + block;
        let mut pause = Duration::from_millis(5);
        loop {
            let jobs = self
                .sweep(q, count, |p, n| self.read_partition(q, p, consumer, n))
                .await?;
            let left = until.saturating_duration_since(Instant::now());
            if !jobs.is_empty() || left.is_zero() {
                return Ok(jobs);
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_IDLE_PAUSE);
        }
    }

    /// Takes over jobs another consumer has held for longer than `min_idle`,
    /// up to `count`, from any partition.
    pub async fn reclaim_jobs(
        &self,
        q: Queue,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        self.sweep(q, count, |p, n| {
            self.reclaim_partition(q, p, consumer, min_idle, n)
        })
        .await
    }

    /// Up to `count` jobs from `take`, one partition after another from a
    /// random one, so busy workers share the partitions fairly.
    async fn sweep<F, Fut>(
        &self,
        q: Queue,
        count: usize,
        take: F,
    ) -> Result<Vec<QueuedJob>, StoreError>
    where
        F: Fn(Partition, usize) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<QueuedJob>, redis::RedisError>>,
    {
        let all: Vec<Partition> = self.partitions.all().collect();
        let start = rand::random_range(0..all.len());
        let mut jobs = Vec::new();
        for &p in all[start..].iter().chain(&all[..start]) {
            if jobs.len() >= count {
                break;
            }
            match take(p, count - jobs.len()).await {
                Ok(found) => jobs.extend(found),
                // Never created, or Redis lost it (a restart without persistence).
                Err(e) if e.code() == Some("NOGROUP") => self.create_group(q, p).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(jobs)
    }

    async fn read_partition(
        &self,
        q: Queue,
        p: Partition,
        consumer: &str,
        count: usize,
    ) -> Result<Vec<QueuedJob>, redis::RedisError> {
        let reply: Option<StreamReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(q.group())
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("STREAMS")
            .arg(self.queue_key(q, p, ""))
            .arg(">")
            .query_async(&mut self.blocking_conn())
            .await?;
        let entries = reply.into_iter().flatten().flat_map(|(_, entries)| entries);
        Ok(entries.filter_map(|e| to_job(p, e)).collect())
    }

    async fn reclaim_partition(
        &self,
        q: Queue,
        p: Partition,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<QueuedJob>, redis::RedisError> {
        let (_next, entries, _deleted): (String, Vec<Entry>, Vec<String>) =
            redis::cmd("XAUTOCLAIM")
                .arg(self.queue_key(q, p, ""))
                .arg(q.group())
                .arg(consumer)
                .arg(min_idle.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut self.conn())
                .await?;
        Ok(entries.into_iter().filter_map(|e| to_job(p, e)).collect())
    }
}

fn to_job(partition: Partition, (entry, fields): Entry) -> Option<QueuedJob> {
    fields
        .into_iter()
        .find(|(k, _)| k == "j")
        .map(|(_, body)| QueuedJob {
            id: JobId { partition, entry },
            body,
        })
}
