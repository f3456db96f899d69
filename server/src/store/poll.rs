//! The poller's state in Redis.
//!
//! - `{p}poll:next`: sorted set, target (`d:{id}`) -> when it is next due (ms).
//!   Claiming pushes the score a lease ahead in the same Lua step, so each
//!   district is polled by one process at a time. A score of 0 (a target
//!   a new subscription found never polled) is claimed before the rest.
//! - `{p}poll:{TARGET}`: hash with the upstream validators (`etag`, `lm`) and
//!   the last poll's time (`at`) and outcome (`status`).
//! - `{p}seen:{TARGET}`: hash session id -> what the last poll saw of it (JSON),
//!   expiring a week after the last write (sessions are at most 7 days ahead).
//!
//! (`{p}latest:{TARGET}`, what `slots` shows, is in `latest`.) The per-target
//! keys carry the target as their hash tag (`{d:97}`), so they spread over a
//! cluster; `poll:next` is one global key.

use super::{Store, StoreError, to_json};
use redis::AsyncCommands;
use redis_hack_shared::TargetKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local claimed = {}
-- First pass: targets due at 0, never polled and asked for by a new
-- subscription; then every due target in the order given.
for pass = 1, 2 do
  for i = 4, #ARGV do
    if #claimed >= limit then break end
    local due = redis.call('ZSCORE', KEYS[1], ARGV[i])
    local first = due and tonumber(due) == 0
    if (pass == 1 and first) or (pass == 2 and ((not due) or tonumber(due) <= now)) then
      redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
      table.insert(claimed, ARGV[i])
    end
  end
end
return claimed
"#,
    )
});

/// How long a claimed district stays reserved for its poller.
pub const POLL_LEASE: Duration = Duration::from_secs(60);
/// Sessions are at most 7 days ahead; what was seen of them is kept a day longer.
pub(super) const SEEN_TTL_SECS: i64 = 8 * 24 * 3600;

/// What the poller keeps about one target in `{p}poll:{target}`. Writing it
/// sets the fields that are `Some` and leaves the others as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollState {
    /// The upstream's validators of the version last fetched (`etag`, `lm`).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When it was last polled, ms (`at`).
    pub at_ms: Option<u64>,
    /// How that poll went: `200`, `304` or the error (`status`).
    pub status: Option<String>,
    /// The interval the scheduler gave it, s (`every`).
    pub every_secs: Option<u64>,
}

impl PollState {
    pub(super) fn from_hash(mut h: HashMap<String, String>) -> Self {
        let num = |k: &str| h.get(k).and_then(|v| v.parse().ok());
        let (at_ms, every_secs) = (num("at"), num("every"));
        Self {
            etag: h.remove("etag"),
            last_modified: h.remove("lm"),
            at_ms,
            status: h.remove("status"),
            every_secs,
        }
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let num = |v: Option<u64>| v.map(|n| n.to_string());
        [
            ("etag", self.etag.clone()),
            ("lm", self.last_modified.clone()),
            ("at", num(self.at_ms)),
            ("status", self.status.clone()),
            ("every", num(self.every_secs)),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
    }
}

impl Store {
    /// Watched targets with their subscription counts. A member this version
    /// cannot read is left out: it could not be polled anyway.
    pub async fn watched_targets(&self) -> Result<Vec<(TargetKey, f64)>, StoreError> {
        let members: Vec<(String, f64)> = self
            .conn()
            .zrange_withscores(self.key("targets"), 0, -1)
            .await?;
        Ok(members
            .into_iter()
            .filter_map(|(t, w)| Some((TargetKey::parse(&t).ok()?, w)))
            .collect())
    }

    /// Reserves up to `limit` of `targets` that are due at `now_ms`.
    pub async fn claim_due(
        &self,
        targets: &[TargetKey],
        now_ms: u64,
        limit: usize,
    ) -> Result<Vec<TargetKey>, StoreError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = CLAIM.key(self.key("poll:next"));
        call.arg(now_ms)
            .arg(POLL_LEASE.as_millis() as u64)
            .arg(limit);
        for t in targets {
            call.arg(t.to_string());
        }
        let claimed: Vec<String> = call.invoke_async(&mut self.conn()).await?;
        claimed
            .iter()
            .map(|t| TargetKey::parse(t).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    /// Sets when `target` is next due.
    pub async fn schedule_poll(&self, target: &TargetKey, at_ms: u64) -> Result<(), StoreError> {
        let () = self
            .conn()
            .zadd(self.key("poll:next"), target.to_string(), at_ms)
            .await?;
        Ok(())
    }

    pub async fn poll_state(&self, target: &TargetKey) -> Result<PollState, StoreError> {
        let h: HashMap<String, String> = self.conn().hgetall(self.poll_key(target)).await?;
        Ok(PollState::from_hash(h))
    }

    /// Writes the fields of `state` that are set.
    pub async fn set_poll_state(
        &self,
        target: &TargetKey,
        state: &PollState,
    ) -> Result<(), StoreError> {
        let fields = state.fields();
        if fields.is_empty() {
            return Ok(());
        }
        let () = self
            .conn()
            .hset_multiple(self.poll_key(target), &fields)
            .await?;
        Ok(())
    }

    /// What the last poll of `target` saw, by session id; entries this
    /// version cannot read are left out (the session counts as new).
    pub async fn seen<T: DeserializeOwned>(
        &self,
        target: &TargetKey,
    ) -> Result<HashMap<String, T>, StoreError> {
        let raw: HashMap<String, String> = self.conn().hgetall(self.seen_key(target)).await?;
        Ok(raw
            .into_iter()
            .filter_map(|(id, json)| Some((id, serde_json::from_str(&json).ok()?)))
            .collect())
    }

    /// Replaces what was seen of `target`.
    pub async fn set_seen<T: Serialize>(
        &self,
        target: &TargetKey,
        seen: &HashMap<String, T>,
    ) -> Result<(), StoreError> {
        let fields = seen
            .iter()
            .map(|(id, s)| Ok((id.as_str(), to_json("what a poll saw", s)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let key = self.seen_key(target);
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key).ignore();
        if !fields.is_empty() {
            pipe.hset_multiple(&key, &fields)
                .ignore()
                .expire(&key, SEEN_TTL_SECS)
                .ignore();
        }
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    pub(super) fn poll_key(&self, target: &TargetKey) -> String {
        self.tagged("poll", &target.to_string(), "")
    }

    pub(super) fn seen_key(&self, target: &TargetKey) -> String {
        self.tagged("seen", &target.to_string(), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_state_writes_only_its_set_fields_and_reads_back() {
        let state = PollState {
            at_ms: Some(1_000),
            status: Some("304".into()),
            ..PollState::default()
        };
        let fields = state.fields();
        assert_eq!(fields, [("at", "1000".into()), ("status", "304".into())]);
        let hash = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(PollState::from_hash(hash), state);
    }
}
