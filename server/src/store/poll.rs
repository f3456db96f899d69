//! The poller's state in Redis.
//!
//! - `{p}poll:next`: sorted set, target (`d:{id}`) -> when it is next due (ms).
//!   Claiming pushes the score a lease ahead in the same Lua step, so each
//!   district is polled by one process at a time.
//! - `{p}poll:{target}`: hash with the upstream validators (`etag`, `lm`) and
//!   the last poll's time (`at`) and outcome (`status`).
//! - `{p}seen:{target}`: hash session id -> what the last poll saw of it (JSON),
//!   expiring a week after the last write (sessions are at most 7 days ahead).
//! - `{p}latest:{target}`: hash with the open sessions of the last fetch (`b`,
//!   JSON) and when the target was last checked (`t`, ms), for `slots`.

use super::{Store, StoreError};
use redis::AsyncCommands;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local claimed = {}
for i = 4, #ARGV do
  if #claimed >= limit then break end
  local due = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if (not due) or tonumber(due) <= now then
    redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
    table.insert(claimed, ARGV[i])
  end
end
return claimed
"#,
    )
});

/// How long a claimed district stays reserved for its poller.
pub const POLL_LEASE: Duration = Duration::from_secs(60);
const SEEN_TTL_SECS: i64 = 8 * 24 * 3600;

impl Store {
    /// Watched targets (`d:{id}`, `p:{pin}`) with their subscription counts.
    pub async fn watched_targets(&self) -> Result<Vec<(String, f64)>, StoreError> {
        Ok(self
            .conn()
            .zrange_withscores(self.key("targets"), 0, -1)
            .await?)
    }

    /// Reserves up to `limit` of `targets` that are due at `now_ms`.
    pub async fn claim_due(
        &self,
        targets: &[String],
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = CLAIM.key(self.key("poll:next"));
        call.arg(now_ms)
            .arg(POLL_LEASE.as_millis() as u64)
            .arg(limit);
        for t in targets {
            call.arg(t);
        }
        Ok(call.invoke_async(&mut self.conn()).await?)
    }

    /// Sets when `target` is next due.
    pub async fn schedule_poll(&self, target: &str, at_ms: u64) -> Result<(), StoreError> {
        let () = self
            .conn()
            .zadd(self.key("poll:next"), target, at_ms)
            .await?;
        Ok(())
    }

    pub async fn poll_state(&self, target: &str) -> Result<HashMap<String, String>, StoreError> {
        Ok(self
            .conn()
            .hgetall(self.key(&format!("poll:{target}")))
            .await?)
    }

    pub async fn set_poll_state(
        &self,
        target: &str,
        fields: &[(&str, String)],
    ) -> Result<(), StoreError> {
        let () = self
            .conn()
            .hset_multiple(self.key(&format!("poll:{target}")), fields)
            .await?;
        Ok(())
    }

    /// What the last poll of `target` saw: session id -> JSON.
    pub async fn seen(&self, target: &str) -> Result<HashMap<String, String>, StoreError> {
        Ok(self
            .conn()
            .hgetall(self.key(&format!("seen:{target}")))
            .await?)
    }

    /// Replaces what was seen of `target`.
    pub async fn set_seen(
        &self,
        target: &str,
        seen: &[(String, String)],
    ) -> Result<(), StoreError> {
        let key = self.key(&format!("seen:{target}"));
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key).ignore();
        if !seen.is_empty() {
            pipe.hset_multiple(&key, seen)
                .ignore()
                .expire(&key, SEEN_TTL_SECS)
                .ignore();
        }
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Remembers the open sessions of the latest fetch of `target`.
    pub async fn set_latest(
        &self,
        target: &str,
        sessions_json: Option<&str>,
        checked_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.key(&format!("latest:{target}"));
        let mut pipe = redis::pipe();
        pipe.atomic().hset(&key, "t", checked_ms).ignore();
        if let Some(body) = sessions_json {
            pipe.hset(&key, "b", body).ignore();
        }
        let () = pipe
            .expire(&key, SEEN_TTL_SECS)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The open sessions (JSON) and check time of `target`'s latest fetch.
    pub async fn latest(&self, target: &str) -> Result<(Option<String>, Option<u64>), StoreError> {
        let (body, at): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(self.key(&format!("latest:{target}")))
            .arg("b")
            .arg("t")
            .query_async(&mut self.conn())
            .await?;
        Ok((body, at))
    }
}
