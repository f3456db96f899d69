//! Fixed-window rate limits: `{p}rl:{scope}:{id}` counters with an expiry.
//! All limits of one request are checked first and only counted when every
//! one of them passes, so a refused request does not use up a longer window.

use super::{Store, StoreError};
use std::sync::LazyLock;

/// One limit: at most `max` events per `window_secs` for `key`.
pub struct Limit {
    pub scope: &'static str,
    pub id: String,
    pub max: u32,
    pub window_secs: u64,
}

static CHECK_AND_COUNT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local wait = 0
for i, k in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', k) or '0')
  if n >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('TTL', k)
    if ttl < 0 then
      redis.call('EXPIRE', k, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i])
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, k in ipairs(KEYS) do
  if redis.call('INCR', k) == 1 then redis.call('EXPIRE', k, ARGV[2 * i]) end
end
return 0
"#,
    )
});

impl Store {
    /// Counts one event against every limit, or returns how many seconds to
    /// wait when any of them is used up (and counts nothing).
    pub async fn hit_limits(&self, limits: &[Limit]) -> Result<Option<u64>, StoreError> {
        let mut invocation = CHECK_AND_COUNT.prepare_invoke();
        for l in limits {
            invocation
                .key(self.limit_key(l))
                .arg(l.max)
                .arg(l.window_secs);
        }
        let wait: u64 = invocation.invoke_async(&mut self.conn()).await?;
        Ok((wait > 0).then_some(wait))
    }

    /// Gives back one event to each limit, after the work it paid for failed
    /// on our side (e.g. the mail server was down).
    pub async fn refund_limits(&self, limits: &[Limit]) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for l in limits {
            pipe.cmd("DECR").arg(self.limit_key(l)).ignore();
        }
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    fn limit_key(&self, l: &Limit) -> String {
        self.key(&format!("rl:{}:{}", l.scope, l.id))
    }
}
