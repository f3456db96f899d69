//! Poll statistics per budget window: `{p}stats:{window_index}`, a hash of
//! counters (`calls`, `not_modified`, `errors`, `alerts`, `deferred`) that
//! expires two windows later, and the status report's reads.

use super::{Store, StoreError};
use redis::AsyncCommands;
use std::collections::HashMap;
use std::time::Duration;

impl Store {
    /// Adds `counts` to the window that holds `now_ms`.
    pub async fn count_poll(
        &self,
        now_ms: u64,
        window: Duration,
        counts: &[(&str, u64)],
    ) -> Result<(), StoreError> {
        let window_ms = window.as_millis().max(1) as u64;
        let key = self.key(&format!("stats:{}", now_ms / window_ms));
        let mut pipe = redis::pipe();
        for (field, n) in counts.iter().filter(|(_, n)| *n > 0) {
            pipe.hincr(&key, *field, *n).ignore();
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
    ) -> Result<HashMap<String, u64>, StoreError> {
        let window_ms = window.as_millis().max(1) as u64;
        Ok(self
            .conn()
            .hgetall(self.key(&format!("stats:{}", now_ms / window_ms)))
            .await?)
    }

    /// When each target is next due (ms).
    pub async fn next_polls(&self) -> Result<HashMap<String, u64>, StoreError> {
        let pairs: Vec<(String, f64)> = self
            .conn()
            .zrange_withscores(self.key("poll:next"), 0, -1)
            .await?;
        Ok(pairs.into_iter().map(|(t, at)| (t, at as u64)).collect())
    }
}
