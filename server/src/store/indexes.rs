//! The fan-out index of each target and the global list of polled targets,
//! written in the steps of a subscribe or an unsubscribe (`subscribe` has
//! the keys and the order of the steps):
//!
//! - `{p}idx:{TARGET}0` .. `f`: the target's index in 16 hashes by the
//!   subscriber's uid (`index_entry` has the parts, fields and values), with
//!   the target's `{p}mode:{TARGET}` flags (`arming`) on the target's slot.
//! - `{p}targets`: sorted set of polled targets scored by index length.
//!
//! Every script here takes all 16 parts as its last keys, so it can answer
//! the whole index's length in the same step as its write.

use super::index_entry::{self, PART_NAMES, PARTS};
use super::{Store, StoreError};
use redis_hack_shared::{Filters, SubscriptionId, TargetKey, UserId};
use std::sync::LazyLock;

/// Lua: `len()`, the number of entries in the parts KEYS[first..].
const LEN_LUA: &str = r#"
local function len(first)
  local n = 0
  for i = first, #KEYS do n = n + redis.call('HLEN', KEYS[i]) end
  return n
end
"#;

// Step 2 of an add, on the target's slot: the index entry (ARGV[1] in part
// KEYS[1]) and its mode flags (member ARGV[4], set to ARGV[3], removed when
// empty), idempotently. Returns the index length.
static INDEX: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{LEN_LUA}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[4])
else redis.call('HSET', KEYS[2], ARGV[4], ARGV[3]) end
return len(3)
"#
    ))
});

// Step 1 of a removal, on the target's slot: the index entry and its mode
// flag. Returns the index length left.
static UNINDEX: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{LEN_LUA}
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[2])
return len(3)
"#
    ))
});

// The length of the index whose parts are KEYS.
static LEN: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(&format!("{LEN_LUA}\nreturn len(1)\n")));

impl Store {
    /// Writes the index entry of `uid`'s `sid` on `target` with its mode
    /// `flags`; returns the index length.
    pub(super) async fn index(
        &self,
        target: &TargetKey,
        uid: &UserId,
        sid: &SubscriptionId,
        filters: &Filters,
        flags: &str,
    ) -> Result<u64, StoreError> {
        let mut call = INDEX.key(self.index_part_key(target, index_entry::part_of(uid)?));
        call.key(self.mode_key(target));
        Ok(self
            .with_parts(target, &mut call)
            .arg(index_entry::field(uid, sid)?)
            .arg(index_entry::value(filters)?)
            .arg(flags)
            .arg(format!("{uid}:{sid}"))
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// Deletes the index entry of `uid`'s `sid` on `target` and its mode
    /// flags; returns the index length left.
    pub(super) async fn unindex(
        &self,
        target: &TargetKey,
        uid: &UserId,
        sid: &SubscriptionId,
    ) -> Result<u64, StoreError> {
        let mut call = UNINDEX.key(self.index_part_key(target, index_entry::part_of(uid)?));
        call.key(self.mode_key(target));
        Ok(self
            .with_parts(target, &mut call)
            .arg(index_entry::field(uid, sid)?)
            .arg(format!("{uid}:{sid}"))
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// Sets `target`'s score in `targets` to its index length `len` (read in
    /// the same step as the index write), so a retried step cannot count
    /// twice. At 0 it is removed, and the index read again: an add that
    /// refilled it meanwhile (and set its score before our removal) puts it
    /// back. Two concurrent writes may leave a score one off, which only
    /// weighs the poll order; `check --repair` sets it right.
    pub(super) async fn count_target(
        &self,
        target: &TargetKey,
        len: u64,
    ) -> Result<(), StoreError> {
        if matches!(target, TargetKey::Topic(_)) {
            return Ok(());
        }
        let (targets, member) = (self.key("targets"), target.to_string());
        let mut conn = self.conn();
        if len > 0 {
            let _: i64 = redis::cmd("ZADD")
                .arg(&targets)
                .arg(len)
                .arg(&member)
                .query_async(&mut conn)
                .await?;
            return Ok(());
        }
        let _: i64 = redis::cmd("ZREM")
            .arg(&targets)
            .arg(&member)
            .query_async(&mut conn)
            .await?;
        let refilled = self.index_len(target).await?;
        if refilled > 0 {
            let _: i64 = redis::cmd("ZADD")
                .arg(&targets)
                .arg(refilled)
                .arg(&member)
                .query_async(&mut conn)
                .await?;
        }
        Ok(())
    }

    /// The number of entries in `target`'s index (all its parts).
    pub(super) async fn index_len(&self, target: &TargetKey) -> Result<u64, StoreError> {
        let mut call = LEN.prepare_invoke();
        Ok(self
            .with_parts(target, &mut call)
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// Adds every part of `target`'s index to `call`'s keys.
    fn with_parts<'a, 'b>(
        &self,
        target: &TargetKey,
        call: &'a mut redis::ScriptInvocation<'b>,
    ) -> &'a mut redis::ScriptInvocation<'b> {
        for key in self.index_parts(target) {
            call.key(key);
        }
        call
    }

    /// Every part of `target`'s index, `0` to `f`.
    pub(super) fn index_parts(&self, target: &TargetKey) -> [String; PARTS] {
        PART_NAMES.map(|part| self.index_part_key(target, part))
    }

    /// One part of a target's index: in its tag group, with `mode:`,
    /// `seen:`, `latest:`, `poll:` and `fu:`.
    pub(super) fn index_part_key(&self, target: &TargetKey, part: &str) -> String {
        self.tagged("idx", &target.to_string(), part)
    }
}
