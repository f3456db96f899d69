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
//! worker reads every partition (`consume.rs`). No
//! script, transaction or pipeline spans two partitions (redis-rs refuses a
//! cluster pipeline that crosses slots): work on many partitions is one
//! request per partition, sent together ([`Store::each_partition`]).

use super::partition::{JobId, Partition};
use super::{Store, StoreError};
use redis_hack_shared::UserId;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::LazyLock;

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

/// A stream entry: id and field-value pairs.
pub(super) type Entry = (String, Vec<(String, String)>);

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

    pub(super) async fn create_group(&self, q: Queue, p: Partition) -> Result<(), StoreError> {
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
