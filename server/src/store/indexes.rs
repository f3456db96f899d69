//! The fan-out index of each target and the global list of polled targets,
//! written in the steps of a subscribe or an unsubscribe (`subscribe` has
//! the keys and the order of the steps):
//!
//! - `{p}idx:{TARGET}`: hash `{uid}:{sid}` -> filters (JSON), with the
//!   target's `{p}mode:{TARGET}` flags (`arming`) on the target's slot.
//! - `{p}targets`: sorted set of polled targets scored by index length.

use super::{Store, StoreError, to_json};
use redis_hack_shared::{Filters, SubscriptionId, TargetKey, UserId};
use std::sync::LazyLock;

// Step 2 of an add, on the target's slot: the index entry and its mode flags
// (set to ARGV[3], removed when empty), idempotently. Returns the index length.
static INDEX: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], ARGV[1])
else redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
return redis.call('HLEN', KEYS[1])
"#,
    )
});

// Step 1 of a removal, on the target's slot: the index entry and its mode
// flag. Returns the index length left.
static UNINDEX: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HLEN', KEYS[1])
"#,
    )
});

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
        Ok(INDEX
            .key(self.index_key(target))
            .key(self.mode_key(target))
            .arg(format!("{uid}:{sid}"))
            .arg(to_json("filters", filters)?)
            .arg(flags)
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
        Ok(UNINDEX
            .key(self.index_key(target))
            .key(self.mode_key(target))
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
        let refilled: u64 = redis::cmd("HLEN")
            .arg(self.index_key(target))
            .query_async(&mut conn)
            .await?;
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

    /// A target's index: its tag group, with `mode:`, `seen:`, `latest:`,
    /// `poll:` and `fu:`.
    pub(super) fn index_key(&self, target: &TargetKey) -> String {
        self.tagged("idx", &target.to_string(), "")
    }
}
