//! The durable delivery queues on Redis Streams, one per channel ([`Queue`]),
//! each split into partitions (`partition.rs`) that share nothing but their
//! shape. Partition `n` (hash tag `{t}`, see [`super::Partition::tag`]):
//!
//! - `{p}alerts:{t}` (email) / `{p}hooks:{t}` (webhook): the stream of jobs
//!   (field `j`, JSON), read by the consumer group `email` / `webhook`. A job
//!   is acknowledged (and deleted) only after delivery; a job a dead worker
//!   left pending is taken over with XAUTOCLAIM.
//! - `{stream}:retry`: sorted set of failed jobs scored by when to try again;
//!   moved back onto its stream when due.
//! - `{stream}:dead`: stream of jobs that ran out of attempts, with the last
//!   error (`e`), for an operator to list and replay (`dead.rs`).
//!
//! A user's jobs all go to one partition, so they are read in order; a
//! worker reads every partition, one at a time (one XREADGROUP may not name
//! streams of several slots in a cluster), starting at a random one. No
//! script, transaction or pipeline spans two partitions (redis-rs refuses a
//! cluster pipeline that crosses slots): work on many partitions is one
//! request per partition, sent together ([`Store::each_partition`]).

use super::partition::{JobId, Partition};
use super::{Store, StoreError};
use redis_hack_shared::UserId;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// A delivery channel's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Email,
    Webhook,
}

impl Queue {
    /// `email` or `webhook`: the channel it delivers on (also its consumer group).
    pub fn name(self) -> &'static str {
        self.group()
    }

    pub(super) fn stream(self) -> &'static str {
        match self {
            Self::Email => "alerts",
            Self::Webhook => "hooks",
        }
    }

    pub(super) fn group(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }
}

/// A job as read from the stream: where it is and its JSON body.
#[derive(Debug, Clone)]
pub struct QueuedJob {
    pub id: JobId,
    pub body: String,
}

// Moves due retries back onto the stream, atomically, at most ARGV[2] at a time.
static MOVE_DUE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'j', job)
  redis.call('ZREM', KEYS[1], job)
end
return #due
"#,
    )
});

/// The longest pause between two sweeps of empty partitions while waiting.
const MAX_IDLE_PAUSE: Duration = Duration::from_millis(200);

/// A stream entry: id and field-value pairs.
pub(super) type Entry = (String, Vec<(String, String)>);
type StreamReply = Vec<(String, Vec<Entry>)>;

impl Store {
    /// Key `{p}{stream}:{tag}{rest}` of partition `p` of `q` (`rest`: empty
    /// for the stream, `:retry`, `:dead`).
    pub(super) fn queue_key(&self, q: Queue, p: Partition, rest: &str) -> String {
        self.tagged(q.stream(), &p.tag(), rest)
    }

    /// The partition `uid`'s jobs go to.
    pub fn partition_of(&self, uid: &UserId) -> Partition {
        self.partitions.of(uid)
    }

    /// `f` of every partition, all sent at once, in partition order.
    pub(super) async fn each_partition<T, F, Fut>(&self, f: F) -> Result<Vec<T>, StoreError>
    where
        F: Fn(Partition) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        futures_util::future::try_join_all(self.partitions.all().map(f)).await
    }

    /// Creates every partition's consumer group (and stream) not there yet.
    pub async fn ensure_group(&self, q: Queue) -> Result<(), StoreError> {
        self.each_partition(|p| self.create_group(q, p)).await?;
        Ok(())
    }

    async fn create_group(&self, q: Queue, p: Partition) -> Result<(), StoreError> {
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.queue_key(q, p, ""))
            .arg(q.group())
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn())
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    /// Queues one job of `uid`.
    pub async fn enqueue(&self, q: Queue, uid: &UserId, body: &str) -> Result<JobId, StoreError> {
        let partition = self.partition_of(uid);
        let entry: String = redis::cmd("XADD")
            .arg(self.queue_key(q, partition, ""))
            .arg("*")
            .arg("j")
            .arg(body)
            .query_async(&mut self.conn())
            .await?;
        Ok(JobId { partition, entry })
    }

    /// Queues many users' jobs (a fan-out to thousands), each in its user's
    /// partition, in order: one pipeline per partition, all sent at once.
    pub async fn enqueue_many(
        &self,
        q: Queue,
        jobs: &[(UserId, String)],
    ) -> Result<(), StoreError> {
        let mut by_partition: BTreeMap<Partition, Vec<&str>> = BTreeMap::new();
        for (uid, body) in jobs {
            by_partition
                .entry(self.partition_of(uid))
                .or_default()
                .push(body);
        }
        let sends = by_partition
            .into_iter()
            .map(|(p, bodies)| self.enqueue_on(q, p, bodies));
        futures_util::future::try_join_all(sends).await?;
        Ok(())
    }

    /// Queues jobs of one user, in order.
    pub async fn enqueue_for(
        &self,
        q: Queue,
        uid: &UserId,
        bodies: &[String],
    ) -> Result<(), StoreError> {
        let bodies = bodies.iter().map(String::as_str).collect();
        self.enqueue_on(q, self.partition_of(uid), bodies).await
    }

    /// Queues `bodies` on partition `p`, in order, a thousand per round trip.
    async fn enqueue_on(
        &self,
        q: Queue,
        p: Partition,
        bodies: Vec<&str>,
    ) -> Result<(), StoreError> {
        for chunk in bodies.chunks(1000) {
            let mut pipe = redis::pipe();
            for body in chunk {
                self.push_enqueue(&mut pipe, q, p, body);
            }
            let () = pipe.query_async(&mut self.conn()).await?;
        }
        Ok(())
    }

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

    /// Delivered: acknowledge and delete the job.
    pub async fn ack_job(&self, q: Queue, id: &JobId) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        self.push_ack(pipe.atomic(), q, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Queues `bodies` on `to` and acknowledges job `id` of `from`, in one
    /// round trip. The new jobs go to the same partition (they are the same
    /// user's). Not atomic: a crash in between queues them again on the
    /// retry, which receivers dedupe by id; nothing is lost.
    pub async fn route_and_ack(
        &self,
        from: Queue,
        id: &JobId,
        to: Queue,
        bodies: &[String],
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for body in bodies {
            self.push_enqueue(&mut pipe, to, id.partition, body);
        }
        self.push_ack(&mut pipe, from, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Adds an XADD of `body` to partition `p` of `q` to `pipe`.
    pub(super) fn push_enqueue(
        &self,
        pipe: &mut redis::Pipeline,
        q: Queue,
        p: Partition,
        body: &str,
    ) {
        pipe.cmd("XADD")
            .arg(self.queue_key(q, p, ""))
            .arg("*")
            .arg("j")
            .arg(body)
            .ignore();
    }

    /// Adds XACK + XDEL of job `id` to `pipe`.
    pub(super) fn push_ack(&self, pipe: &mut redis::Pipeline, q: Queue, id: &JobId) {
        let key = self.queue_key(q, id.partition, "");
        pipe.cmd("XACK")
            .arg(&key)
            .arg(q.group())
            .arg(&id.entry)
            .ignore()
            .cmd("XDEL")
            .arg(&key)
            .arg(&id.entry)
            .ignore();
    }

    /// Failed for now: park `body` (the job with its attempt count) until
    /// `due_ms`, in its partition's retry set.
    pub async fn retry_job_later(
        &self,
        q: Queue,
        id: &JobId,
        body: &str,
        due_ms: u64,
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("ZADD")
            .arg(self.queue_key(q, id.partition, ":retry"))
            .arg(due_ms)
            .arg(body)
            .ignore();
        self.push_ack(&mut pipe, q, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Puts retries whose time has come back on their streams (each
    /// partition's own); returns how many.
    pub async fn release_due_jobs(&self, q: Queue, now_ms: u64) -> Result<u64, StoreError> {
        let moved = self
            .each_partition(|p| async move {
                let n: u64 = MOVE_DUE
                    .key(self.queue_key(q, p, ":retry"))
                    .key(self.queue_key(q, p, ""))
                    .arg(now_ms)
                    .arg(100)
                    .invoke_async(&mut self.conn())
                    .await?;
                Ok(n)
            })
            .await?;
        Ok(moved.into_iter().sum())
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
