//! The durable alert queue on Redis Streams.
//!
//! - `{p}alerts`: the stream of alert jobs (field `j`, JSON), read by the
//!   consumer group `email`. A job is acknowledged (and deleted) only after
//!   delivery; a job a dead worker left pending is taken over with XAUTOCLAIM.
//! - `{p}alerts:retry`: sorted set of failed jobs scored by when to try again
//!   (exponential back-off); moved back onto the stream when due.
//! - `{p}alerts:dead`: stream of jobs that ran out of attempts, with the last
//!   error (`e`), for an operator to list and replay.

use super::{Store, StoreError};
use std::sync::LazyLock;
use std::time::Duration;

const GROUP: &str = "email";

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
type Entry = (String, Vec<(String, String)>);
type StreamReply = Vec<(String, Vec<Entry>)>;

impl Store {
    /// Creates the consumer group (and the stream) if they do not exist yet.
    pub async fn ensure_alert_group(&self) -> Result<(), StoreError> {
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.key("alerts"))
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.conn())
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            other => Ok(other?),
        }
    }

    pub async fn enqueue_alert(&self, body: &str) -> Result<String, StoreError> {
        Ok(redis::cmd("XADD")
            .arg(self.key("alerts"))
            .arg("*")
            .arg("j")
            .arg(body)
            .query_async(&mut self.conn())
            .await?)
    }

    /// New jobs for `consumer`, waiting up to `block` for some to arrive.
    pub async fn read_alerts(
        &self,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        let reply: Option<StreamReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.key("alerts"))
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
    pub async fn reclaim_alerts(
        &self,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        let (_next, entries, _deleted): (String, Vec<Entry>, Vec<String>) =
            redis::cmd("XAUTOCLAIM")
                .arg(self.key("alerts"))
                .arg(GROUP)
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
    pub async fn ack_alert(&self, id: &str) -> Result<(), StoreError> {
        let key = self.key("alerts");
        let () = redis::pipe()
            .atomic()
            .cmd("XACK")
            .arg(&key)
            .arg(GROUP)
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

    /// Failed for now: park `body` (the job with its attempt count) until `due_ms`.
    pub async fn retry_alert_later(
        &self,
        id: &str,
        body: &str,
        due_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.key("alerts");
        let () = redis::pipe()
            .atomic()
            .cmd("ZADD")
            .arg(self.key("alerts:retry"))
            .arg(due_ms)
            .arg(body)
            .ignore()
            .cmd("XACK")
            .arg(&key)
            .arg(GROUP)
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

    /// Out of attempts: move the job to the dead-letter stream with its last error.
    pub async fn dead_letter_alert(
        &self,
        id: &str,
        body: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let key = self.key("alerts");
        let () = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.key("alerts:dead"))
            .arg("*")
            .arg("j")
            .arg(body)
            .arg("e")
            .arg(error)
            .ignore()
            .cmd("XACK")
            .arg(&key)
            .arg(GROUP)
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
    pub async fn release_due_alerts(&self, now_ms: u64) -> Result<u64, StoreError> {
        Ok(MOVE_DUE
            .key(self.key("alerts:retry"))
            .key(self.key("alerts"))
            .arg(now_ms)
            .arg(100)
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// The dead letters, oldest first: (id, job JSON, last error).
    pub async fn dead_alerts(
        &self,
        count: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.key("alerts:dead"))
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn())
            .await?;
        Ok(entries
            .into_iter()
            .map(|(id, fields)| {
                let get = |name: &str| {
                    fields
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                (id, get("j"), get("e"))
            })
            .collect())
    }

    /// Puts a dead letter back on the queue (with `body`, its attempts reset by the caller).
    pub async fn replay_dead_alert(&self, id: &str, body: &str) -> Result<bool, StoreError> {
        let (added, removed): (String, u32) = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.key("alerts"))
            .arg("*")
            .arg("j")
            .arg(body)
            .cmd("XDEL")
            .arg(self.key("alerts:dead"))
            .arg(id)
            .query_async(&mut self.conn())
            .await?;
        let _ = added;
        Ok(removed == 1)
    }

    /// Jobs waiting: in the stream (including pending) and parked for retry.
    pub async fn alert_backlog(&self) -> Result<(u64, u64), StoreError> {
        let (stream, retry): (u64, u64) = redis::pipe()
            .cmd("XLEN")
            .arg(self.key("alerts"))
            .cmd("ZCARD")
            .arg(self.key("alerts:retry"))
            .query_async(&mut self.conn())
            .await?;
        Ok((stream, retry))
    }
}

fn to_job((id, fields): Entry) -> Option<QueuedJob> {
    fields
        .into_iter()
        .find(|(k, _)| k == "j")
        .map(|(_, body)| QueuedJob { id, body })
}
