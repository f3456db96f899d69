//! The upstream call budget shared by every server process: `{p}budget`, a
//! sorted set of recent calls scored by time (a sliding log). A call is
//! taken only when fewer than `calls` were made in the last `window`, checked
//! and recorded in one Lua step, so no two processes can both take the last one.

use super::{Store, StoreError};
use std::sync::LazyLock;
use std::time::Duration;

static TAKE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window - now
"#,
    )
});

impl Store {
    /// Takes one call from the budget at `now_ms`, or says how long until one frees up.
    pub async fn take_budget(
        &self,
        now_ms: u64,
        calls: u32,
        window: Duration,
        call_id: &str,
    ) -> Result<Option<Duration>, StoreError> {
        let wait_ms: i64 = TAKE
            .key(self.key("budget"))
            .arg(now_ms)
            .arg(window.as_millis() as u64)
            .arg(calls)
            .arg(call_id)
            .invoke_async(&mut self.conn())
            .await?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms as u64)))
    }

    /// Calls taken in the window ending at `now_ms` (for status reports).
    pub async fn budget_in_use(&self, now_ms: u64, window: Duration) -> Result<u64, StoreError> {
        let since = now_ms.saturating_sub(window.as_millis() as u64);
        let n: u64 = redis::cmd("ZCOUNT")
            .arg(self.key("budget"))
            .arg(format!("({since}"))
            .arg("+inf")
            .query_async(&mut self.conn())
            .await?;
        Ok(n)
    }
}
