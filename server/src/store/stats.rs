//! Poll statistics per budget window: `{p}stats:{window_index}`, a hash of
//! counters (`calls`, `not_modified`, `errors`, `alerts`, `deferred`) that
//! expires two windows later, and the status report's reads.

use super::{Store, StoreError};
use redis::AsyncCommands;
use redis_hack_shared::{TargetKey, WindowCounts};
use std::collections::HashMap;
use std::time::Duration;

impl Store {
    /// Adds `counts` to the window that holds `now_ms`.
    pub async fn count_poll(
        &self,
        now_ms: u64,
        window: Duration,
        counts: &WindowCounts,
    ) -> Result<(), StoreError> {
        let window_ms = window.as_millis().max(1) as u64;
        let key = self.key(&format!("stats:{}", now_ms / window_ms));
        let mut pipe = redis::pipe();
        for (field, n) in fields(counts).into_iter().filter(|(_, n)| *n > 0) {
            pipe.hincr(&key, field, n).ignore();
        }
        pipe.expire(&key, (2 * window_ms / 1000).max(1) as i64)
            .ignore();
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// The counters of the window that holds `now_ms`.
    pub async fn poll_counts(
        &self,
        now_ms: u64,
        window: Duration,
    ) -> Result<WindowCounts, StoreError> {
        let window_ms = window.as_millis().max(1) as u64;
        let h: HashMap<String, u64> = self
            .conn()
            .hgetall(self.key(&format!("stats:{}", now_ms / window_ms)))
            .await?;
        let count = |k: &str| h.get(k).copied().unwrap_or(0);
        Ok(WindowCounts {
            calls: count("calls"),
            not_modified: count("not_modified"),
            errors: count("errors"),
            alerts: count("alerts"),
            deferred: count("deferred"),
        })
    }

    /// When each target is next due (ms).
    pub async fn next_polls(&self) -> Result<HashMap<TargetKey, u64>, StoreError> {
        let pairs: Vec<(String, f64)> = self
            .conn()
            .zrange_withscores(self.key("poll:next"), 0, -1)
            .await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(t, at)| Some((TargetKey::parse(&t).ok()?, at as u64)))
            .collect())
    }
}

/// The counters' field names in the hash.
fn fields(c: &WindowCounts) -> [(&'static str, u64); 5] {
    [
        ("calls", c.calls),
        ("not_modified", c.not_modified),
        ("errors", c.errors),
        ("alerts", c.alerts),
        ("deferred", c.deferred),
    ]
}
