//! One-shot subscriptions and the fan-out's per-subscription modes.
//!
//! - `{p}mode:{TARGET}`: hash `{uid}:{sid}` -> flags, only for subscriptions
//!   whose alerting is not the default: `d` disarmed (a one-shot that has
//!   alerted; the fan-out skips it), `n` no `Gone:` follow-up. The poller
//!   reads it next to the index (`fanout`), so it never opens user documents.
//!
//! The hash is on the target's slot (with the index), the document on the
//! user's: disarming and rearming write the document and the user's version
//! in one Lua step, then the flag in another. Document first: a crash in
//! between leaves a flag behind the document, and the document wins (the
//! worker's disarm reads it, so a disarmed one-shot still alerts once);
//! `check --repair` sets the flag right.

use super::index_entry;
use super::root_subs::sub_path;
use super::version::BUMP_LUA;
use super::{Store, StoreError};
use redis_hack_shared::{Subscription, SubscriptionId, TargetKey, UserId};
use std::sync::LazyLock;

// 1: this alert disarms it (or disarmed it already: a retry of the same
// job, known by its detection time); 0: another alert disarmed it first;
// -1: not a one-shot subscription (or gone). On the user's slot.
static DISARM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
local once = redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.o')
if not once or once ~= '[true]' then return -1 end
local da = redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.da')
if da and da ~= '[]' then
  if da == '[' .. ARGV[2] .. ']' then return 1 end
  return 0
end
redis.call('JSON.SET', KEYS[1], ARGV[1] .. '.da', ARGV[2])
bump(KEYS[2])
return 1
"#
    ))
});

// 1: armed again (or was armed); 0: no such subscription. On the user's slot.
static REARM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
local t = redis.call('JSON.TYPE', KEYS[1], ARGV[1])
if not t or t[1] == nil then return 0 end
if redis.call('JSON.DEL', KEYS[1], ARGV[1] .. '.da') > 0 then bump(KEYS[2]) end
return 1
"#
    ))
});

// The flag `d` of ARGV[1] in the mode hash (KEYS[1]): set when ARGV[2] is
// '+' (only while the index part KEYS[2] holds its entry ARGV[3]: a
// subscription removed meanwhile gets no flag), cleared otherwise. On the
// target's slot.
static FLAG: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local flags = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if ARGV[2] == '+' then
  if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then return 0 end
  if not string.find(flags, 'd', 1, true) then redis.call('HSET', KEYS[1], ARGV[1], flags .. 'd') end
  return 1
end
flags = string.gsub(flags, 'd', '')
if flags == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], flags) end
return 1
"#,
    )
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
        let Some(path) = sub_path(sid) else {
            return Ok(Disarm::NotOnce);
        };
        let outcome: i64 = DISARM
            .key(self.user_key(uid))
            .key(self.version_key(uid))
            .arg(path)
            .arg(detected_ms)
            .invoke_async(&mut self.conn())
            .await?;
        if outcome == 1 {
            self.set_disarmed_flag(target, uid, sid, true).await?;
        }
        Ok(match outcome {
            1 => Disarm::ThisAlert,
            0 => Disarm::AlreadyDisarmed,
            _ => Disarm::NotOnce,
        })
    }

    /// Arms `sub` again; false when the user has no such subscription.
    /// Waits for the replicas (`replication`): the user asked for it. A
    /// disarm does not: it is the alert worker's, per delivered alert, and
    /// losing one costs at most one more alert.
    pub async fn rearm(&self, uid: &UserId, sub: &Subscription) -> Result<bool, StoreError> {
        let Some(path) = sub_path(&sub.id) else {
            return Ok(false);
        };
        let mut w = self.writer().await?;
        let armed: i64 = REARM
            .key(self.user_key(uid))
            .key(self.version_key(uid))
            .arg(path)
            .invoke_async(w.conn())
            .await?;
        if armed == 1 {
            w.replicated(&self.user_key(uid)).await;
            self.set_disarmed_flag(&sub.target.key(), uid, &sub.id, false)
                .await?;
        }
        Ok(armed == 1)
    }

    /// Sets or clears the `d` flag of `uid`'s `sid` on `target`, after the
    /// document (idempotent: a retried alert sets it again).
    async fn set_disarmed_flag(
        &self,
        target: &TargetKey,
        uid: &UserId,
        sid: &SubscriptionId,
        disarmed: bool,
    ) -> Result<(), StoreError> {
        let _: i64 = FLAG
            .key(self.mode_key(target))
            .key(self.index_part_key(target, index_entry::part_of(uid)?))
            .arg(format!("{uid}:{sid}"))
            .arg(if disarmed { "+" } else { "-" })
            .arg(index_entry::field(uid, sid)?)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// In the target's tag group, read and written with its index.
    pub(super) fn mode_key(&self, target: &TargetKey) -> String {
        self.tagged("mode", &target.to_string(), "")
    }
}
