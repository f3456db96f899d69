//! Fixed-window rate limits: counters with an expiry, each in the tag group
//! of what it limits: `{p}rl:{scope}:{ID}` (an address or a client), and
//! `{p}rl:{scope}:{EMAIL}:{client}` for one client's share of an address.
//! All limits of one request are checked first and only counted when every
//! one of them passes, so a refused request does not use up a longer window:
//! in one Lua step per tag group (a script touches one slot), and when a later
//! group refuses, the groups already counted are given back.

use super::{Store, StoreError};
use std::sync::LazyLock;

/// One limit: at most `max` events per `window_secs` for `id` (and `client`).
pub struct Limit {
    pub scope: &'static str,
    /// What is limited (an address or a client): the key's hash tag.
    pub id: String,
    /// For one client's share of what `id` names.
    pub client: Option<String>,
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
        let mut groups: Vec<Vec<&Limit>> = Vec::new();
        for l in limits {
            match groups.iter_mut().find(|g| g[0].id == l.id) {
                Some(group) => group.push(l),
                None => groups.push(vec![l]),
            }
        }
        let mut counted: Vec<&Limit> = Vec::new();
        for group in groups {
            let mut invocation = CHECK_AND_COUNT.prepare_invoke();
            for l in &group {
                invocation
                    .key(self.limit_key(l))
                    .arg(l.max)
                    .arg(l.window_secs);
            }
            let wait: u64 = invocation.invoke_async(&mut self.conn()).await?;
            if wait > 0 {
                self.refund(&counted).await?;
                return Ok(Some(wait));
            }
            counted.extend(group);
        }
        Ok(None)
    }

    /// Gives back one event to each limit, after the work it paid for failed
    /// on our side (e.g. the mail server was down).
    pub async fn refund_limits(&self, limits: &[Limit]) -> Result<(), StoreError> {
        self.refund(&limits.iter().collect::<Vec<_>>()).await
    }

    /// One DECR per limit, all at once (not atomic: the keys may be on several slots).
    async fn refund(&self, limits: &[&Limit]) -> Result<(), StoreError> {
        if limits.is_empty() {
            return Ok(());
        }
        let decrs = limits
            .iter()
            .map(|l| redis::cmd("DECR").arg(self.limit_key(l)).clone())
            .collect();
        self.query_each(decrs).await?;
        Ok(())
    }

    fn limit_key(&self, l: &Limit) -> String {
        let client = l.client.as_ref().map(|c| format!(":{c}"));
        self.tagged(
            &format!("rl:{}", l.scope),
            &l.id,
            client.as_deref().unwrap_or(""),
        )
    }
}
