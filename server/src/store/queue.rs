//! The durable delivery queues on Redis Streams, one per channel ([`Queue`]):
//!
//! - `{p}alerts` (email) / `{p}hooks` (webhook): the stream of jobs (field
//!   `j`, JSON), read by the consumer group `email` / `webhook`. A job is
//!   acknowledged (and deleted) only after delivery; a job a dead worker left
//!   pending is taken over with XAUTOCLAIM.
//! - `{stream}:retry`: sorted set of failed jobs scored by when to try again;
//!   moved back onto the stream when due.
//! - `{stream}:dead`: stream of jobs that ran out of attempts, with the last
//!   error (`e`), for an operator to list and replay.

use super::{Store, StoreError};
use std::sync::LazyLock;
use std::time::Duration;

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

/// A job as read from the stream: its stream id and JSON body.
#[derive(Debug, Clone)]
pub struct QueuedJob {
    pub id: String,
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
type StreamReply = Vec<(String, Vec<Entry>)>;

impl Store {
    /// Creates the consumer group (and the stream) if they do not exist yet.
    pub async fn ensure_group(&self, q: Queue) -> Result<(), StoreError> {
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.key(q.stream()))
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

    pub async fn enqueue(&self, q: Queue, body: &str) -> Result<String, StoreError> {
        Ok(redis::cmd("XADD")
            .arg(self.key(q.stream()))
            .arg("*")
            .arg("j")
            .arg(body)
            .query_async(&mut self.conn())
            .await?)
    }

    /// Queues many jobs in one round trip (a fan-out to thousands of users).
    pub async fn enqueue_many(&self, q: Queue, bodies: &[String]) -> Result<(), StoreError> {
        for chunk in bodies.chunks(1000) {
            let mut pipe = redis::pipe();
            for body in chunk {
                self.push_enqueue(&mut pipe, q, body);
            }
            let () = pipe.query_async(&mut self.conn()).await?;
        }
        Ok(())
    }

    /// New jobs for `consumer`, waiting up to `block` for some to arrive.
    pub async fn read_jobs(
        &self,
        q: Queue,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        let reply: Option<StreamReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(q.group())
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.key(q.stream()))
            .arg(">")
            .query_async(&mut self.blocking_conn())
            .await?;
        Ok(reply
            .into_iter()
            .flatten()
            .flat_map(|(_, entries)| entries)
            .filter_map(to_job)
            .collect())
    }

    /// Takes over jobs another consumer has held for longer than `min_idle`.
    pub async fn reclaim_jobs(
        &self,
        q: Queue,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        let (_next, entries, _deleted): (String, Vec<Entry>, Vec<String>) =
            redis::cmd("XAUTOCLAIM")
                .arg(self.key(q.stream()))
                .arg(q.group())
                .arg(consumer)
                .arg(min_idle.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut self.conn())
                .await?;
        Ok(entries.into_iter().filter_map(to_job).collect())
    }

    /// Delivered: acknowledge and delete the job.
    pub async fn ack_job(&self, q: Queue, id: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        self.push_ack(pipe.atomic(), q, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Queues `bodies` on `to` and acknowledges job `id` of `from`, in one
    /// round trip (not atomic: a crash in between queues them again on the
    /// retry, which receivers dedupe by id; nothing is lost).
    pub async fn route_and_ack(
        &self,
        from: Queue,
        id: &str,
        to: Queue,
        bodies: &[String],
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for body in bodies {
            self.push_enqueue(&mut pipe, to, body);
        }
        self.push_ack(&mut pipe, from, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Adds an XADD of `body` to `q` to `pipe`.
    fn push_enqueue(&self, pipe: &mut redis::Pipeline, q: Queue, body: &str) {
        pipe.cmd("XADD")
            .arg(self.key(q.stream()))
            .arg("*")
            .arg("j")
            .arg(body)
            .ignore();
    }

    /// Adds XACK + XDEL of job `id` to `pipe`.
    pub(super) fn push_ack(&self, pipe: &mut redis::Pipeline, q: Queue, id: &str) {
        let key = self.key(q.stream());
        pipe.cmd("XACK")
            .arg(&key)
            .arg(q.group())
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(&key)
            .arg(id)
            .ignore();
    }

    /// Failed for now: park `body` (the job with its attempt count) until `due_ms`.
    pub async fn retry_job_later(
        &self,
        q: Queue,
        id: &str,
        body: &str,
        due_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.key(q.stream());
        let () = redis::pipe()
            .atomic()
            .cmd("ZADD")
            .arg(self.key(&format!("{}:retry", q.stream())))
            .arg(due_ms)
            .arg(body)
            .ignore()
            .cmd("XACK")
            .arg(&key)
            .arg(q.group())
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(&key)
            .arg(id)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Puts retries whose time has come back on the stream; returns how many.
    pub async fn release_due_jobs(&self, q: Queue, now_ms: u64) -> Result<u64, StoreError> {
        Ok(MOVE_DUE
            .key(self.key(&format!("{}:retry", q.stream())))
            .key(self.key(q.stream()))
            .arg(now_ms)
            .arg(100)
            .invoke_async(&mut self.conn())
            .await?)
    }
}

fn to_job((id, fields): Entry) -> Option<QueuedJob> {
    fields
        .into_iter()
        .find(|(k, _)| k == "j")
        .map(|(_, body)| QueuedJob { id, body })
}
