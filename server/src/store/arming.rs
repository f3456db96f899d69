//! One-shot subscriptions and the fan-out's per-subscription modes.
//!
//! - `{p}mode:{target}`: hash `{uid}:{sid}` -> flags, only for subscriptions
//!   whose alerting is not the default: `d` disarmed (a one-shot that has
//!   alerted; the fan-out skips it), `n` no `Gone:` follow-up. The poller
//!   reads it next to the index (`fanout`), so it never opens user documents.
//!
//! Disarming and rearming write the user's document, this hash and the
//! user's version in one Lua step.

use super::version::BUMP_LUA;
use super::{Store, StoreError};
use redis_hack_shared::{Subscription, SubscriptionId, TargetKey, UserId};
use std::sync::LazyLock;

/// Lua helpers: `add_flag(key, member, f)` and `del_flag(key, member, f)`.
pub(super) const FLAGS_LUA: &str = r#"
local function add_flag(key, member, f)
  local flags = redis.call('HGET', key, member) or ''
  if not string.find(flags, f, 1, true) then redis.call('HSET', key, member, flags .. f) end
end
local function del_flag(key, member, f)
  local flags = string.gsub(redis.call('HGET', key, member) or '', f, '')
  if flags == '' then redis.call('HDEL', key, member) else redis.call('HSET', key, member, flags) end
end
"#;

// 1: this alert disarms it (or disarmed it already: a retry of the same
// job, known by its detection time); 0: another alert disarmed it first;
// -1: not a one-shot subscription (or gone).
static DISARM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}{FLAGS_LUA}
local once = redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.o')
if not once or once ~= '[true]' then return -1 end
local da = redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.da')
if da and da ~= '[]' then
  if da == '[' .. ARGV[3] .. ']' then return 1 end
  return 0
end
redis.call('JSON.SET', KEYS[1], ARGV[1] .. '.da', ARGV[3])
add_flag(KEYS[2], ARGV[2], 'd')
bump(KEYS[3])
return 1
"#
    ))
});

// 1: armed again (or was armed); 0: no such subscription.
static REARM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}{FLAGS_LUA}
local t = redis.call('JSON.TYPE', KEYS[1], ARGV[1])
if not t or t[1] == nil then return 0 end
if redis.call('JSON.DEL', KEYS[1], ARGV[1] .. '.da') > 0 then
  del_flag(KEYS[2], ARGV[2], 'd')
  bump(KEYS[3])
end
return 1
"#
    ))
});

/// What disarming a subscription for one alert came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disarm {
    /// Not a one-shot subscription: it alerts every time.
    NotOnce,
    /// This alert is its one alert: deliver it.
    ThisAlert,
    /// Another alert disarmed it first: leave it out.
    AlreadyDisarmed,
}

impl Store {
    /// Disarms the one-shot subscription `sid` for the alert detected at
    /// `detected_ms` (the same alert again, a retry, still gets through).
    pub async fn disarm(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        target: &TargetKey,
        detected_ms: u64,
    ) -> Result<Disarm, StoreError> {
        let outcome: i64 = DISARM
            .key(self.user_key(uid))
            .key(self.mode_key(target))
            .key(self.version_key(uid))
            .arg(format!("$.s.{sid}"))
            .arg(format!("{uid}:{sid}"))
            .arg(detected_ms)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(match outcome {
            1 => Disarm::ThisAlert,
            0 => Disarm::AlreadyDisarmed,
            _ => Disarm::NotOnce,
        })
    }

    /// Arms `sub` again; false when the user has no such subscription.
    pub async fn rearm(&self, uid: &UserId, sub: &Subscription) -> Result<bool, StoreError> {
        let armed: i64 = REARM
            .key(self.user_key(uid))
            .key(self.mode_key(&sub.target.key()))
            .key(self.version_key(uid))
            .arg(format!("$.s.{}", sub.id))
            .arg(format!("{uid}:{}", sub.id))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(armed == 1)
    }

    pub(super) fn mode_key(&self, target: &TargetKey) -> String {
        self.key(&format!("mode:{target}"))
    }
}
