//! Adding and removing subscriptions, and the fan-out indexes they feed:
//!
//! - `{p}idx:{TARGET}0` .. `f` (`{d:97}`, `{p:800001}`, `{t:topic}`): 16
//!   hashes of uid and subscription id -> the subscription's filters
//!   (`index_entry`), the poller's fan-out list, readable without opening
//!   any user document. With the target's `{p}mode:{TARGET}` (`arming`) it
//!   is the target's tag group.
//! - `{p}targets`: one global sorted set of the polled targets (`d:{id}` /
//!   `p:{pin}`) scored by their index length. Topics are indexed the same way
//!   but not polled, so they stay out of it.
//!
//! The user's document (`users`) is on the user's slot, the index on the
//! target's, `targets` on its own: no script may span them, so each change is
//! a few ordered steps. The document is the source of truth; index entries
//! are written after it and removed before it. A crash between two steps
//! leaves either a subscription missing from its index (no alert, which a
//! retry of the same request heals, and `check --repair` finds) or an index
//! entry whose subscription is gone, which the fan-out drops (and deletes:
//! [`Store::drop_stale_entries`]): never an alert to someone who unsubscribed,
//! never a lost acknowledged change. Each step bumps nothing it does not own:
//! the user's version moves with the document. The index and `targets`
//! steps are in `indexes`.

use super::failpoint;
use super::root_subs::{IS_SUB_LUA, sub_path};
use super::stored_sub::StoredSub;
use super::version::BUMP_LUA;
use super::{Store, StoreError};
use redis_hack_shared::{Subscription, SubscriptionId, TargetKey, UserId};
use std::sync::LazyLock;

/// What happened to a new subscription.
#[derive(Debug, PartialEq, Eq)]
pub enum NewUserSub {
    Added,
    Duplicate,
    LimitReached,
}

// Step 1 of an add, on the user's slot: the document and its version.
// Adds the subscription only if its id (a digest of target and filters) is
// new. Returns {1, ''} added, {0, flags} already there (with its mode flags
// as the document has them, so the index step can be redone to match),
// {-2, ''} at the limit, {-1, ''} no such user. ARGV[2] is the subscription
// without its creation time (an object with at least its target), ARGV[3]
// the time now (ms).
static ADD_SUB: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}{is_sub}
if redis.call('EXISTS', KEYS[1]) == 0 then return {{-1, ''}} end
if #redis.call('JSON.TYPE', KEYS[1], ARGV[1]) > 0 then
  local f = ''
  local da = redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.da')
  if da and da ~= '[]' and da ~= '[null]' then f = f .. 'd' end
  if redis.call('JSON.GET', KEYS[1], ARGV[1] .. '.nf') == '[true]' then f = f .. 'n' end
  return {{0, f}}
end
-- The subscriptions are the root keys is_sub names (`root_subs`).
-- Creation times are unique per user, so the list order is stable even for
-- subscriptions made within one millisecond.
local n, c = 0, tonumber(ARGV[3])
for k, v in pairs(cjson.decode(redis.call('JSON.GET', KEYS[1], '$'))[1]) do
  if is_sub(k) then
    n = n + 1
    local made = type(v) == 'table' and tonumber(v.c)
    if made and made >= c then c = made + 1 end
  end
end
if n >= tonumber(ARGV[4]) then return {{-2, ''}} end
-- One write with the creation time in it: RedisJSON grows a full object
-- (room for 4 keys; a subscription has c, dn, sn, t) by ~96 B when one of
-- its keys is overwritten (BENCHMARKS.md "Storage"), so setting `c` after
-- the object would cost every subscription that much.
redis.call('JSON.SET', KEYS[1], ARGV[1], '{{"c":' .. string.format('%d', c) .. ',' .. string.sub(ARGV[2], 2))
bump(KEYS[2])
return {{1, ''}}
"#,
        is_sub = *IS_SUB_LUA
    ))
});

// Step 3 of a removal, on the user's slot: the subscription, its webhook
// state, the alerts quiet hours held for it (its digest, if one is due,
// then finds nothing to send) and a version bump. Returns 1 if this call
// removed it.
static REMOVE_SUB: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
if redis.call('JSON.DEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[4])
bump(KEYS[3])
return 1
"#
    ))
});

/// Most subscriptions one user may hold; keeps every document small.
pub const MAX_SUBSCRIPTIONS: u32 = 50;

impl Store {
    /// Adds `sub` (with its webhook's secret, if it has a webhook).
    ///
    /// Order: (1) the document (user slot), (2) the index entry and mode
    /// flags (target slot), (3) `targets`. A crash after (1) leaves a
    /// subscription without its index entry, never an entry without a
    /// subscription; a retry finds the subscription there (`Duplicate`) and
    /// still does (2) and (3), which are idempotent, so it heals.
    pub async fn add_subscription(
        &self,
        uid: &UserId,
        sub: &Subscription,
        webhook_secret: Option<&str>,
    ) -> Result<NewUserSub, StoreError> {
        let stored = StoredSub::new(sub, webhook_secret);
        let path = sub_path(&sub.id).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "subscription id {} names a field of the user document",
                sub.id
            ))
        })?;
        let mut w = self.writer().await?;
        let (outcome, flags): (i64, String) = ADD_SUB
            .key(self.user_key(uid))
            .key(self.version_key(uid))
            .arg(path)
            .arg(stored.json_without_created()?)
            .arg(super::now_ms())
            .arg(MAX_SUBSCRIPTIONS)
            .invoke_async(w.conn())
            .await?;
        let (done, flags) = match outcome {
            1 => (NewUserSub::Added, stored.mode_flags()),
            0 => (NewUserSub::Duplicate, flags),
            -2 => return Ok(NewUserSub::LimitReached),
            _ => return Err(StoreError::Corrupt(format!("user {uid} has no document"))),
        };
        if done == NewUserSub::Added {
            w.replicated(&self.user_key(uid)).await;
        }
        failpoint::hit("sub-doc-written");
        let target = sub.target.key();
        let left = self
            .index(&target, uid, &sub.id, stored.filters(), &flags)
            .await?;
        self.count_target(&target, left).await?;
        Ok(done)
    }

    /// Removes `sub` from the user and from the indexes; false if it was already gone.
    ///
    /// Order: (1) the index entry and mode flag (target slot), (2)
    /// `targets`, (3) the document, webhook state and version (user slot).
    /// After (1) the fan-out no longer sees the subscription, so a crash
    /// before (3) cannot alert someone who unsubscribed; it leaves a
    /// subscription without its index entry, which the user still sees and
    /// can remove again.
    pub async fn remove_subscription(
        &self,
        uid: &UserId,
        sub: &Subscription,
    ) -> Result<bool, StoreError> {
        let Some(path) = sub_path(&sub.id) else {
            return Ok(false);
        };
        let target = sub.target.key();
        let left = self.unindex(&target, uid, &sub.id).await?;
        self.count_target(&target, left).await?;
        failpoint::hit("index-removed");
        let mut w = self.writer().await?;
        let removed: i64 = REMOVE_SUB
            .key(self.user_key(uid))
            .key(self.hook_key(uid, &sub.id))
            .key(self.version_key(uid))
            .key(self.held_key(uid, &sub.id))
            .arg(path)
            .invoke_async(w.conn())
            .await?;
        if removed == 1 {
            w.replicated(&self.user_key(uid)).await;
        }
        Ok(removed == 1)
    }

    /// Deletes the index entries (and mode flags) of `uid`'s subscriptions
    /// `sids` on `target`, which a delivery found gone from the user's
    /// document: left over by a crash or a race between an add and a
    /// removal. A subscription made again meanwhile (its document written
    /// after the delivery read it) is indexed back: its own index write may
    /// have come before our delete, and its document is written before its
    /// index, so reading the document after the delete sees it.
    pub async fn drop_stale_entries(
        &self,
        uid: &UserId,
        target: &TargetKey,
        sids: &[SubscriptionId],
    ) -> Result<(), StoreError> {
        for sid in sids {
            let left = self.unindex(target, uid, sid).await?;
            self.count_target(target, left).await?;
            let Some(path) = sub_path(sid) else {
                continue;
            };
            let raw: Option<String> = redis::cmd("JSON.GET")
                .arg(self.user_key(uid))
                .arg(path)
                .query_async(&mut self.conn())
                .await?;
            let back: Vec<StoredSub> = raw
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("subscription {sid} of {uid}: {e}")))?
                .unwrap_or_default();
            if let Some(stored) = back.first() {
                let flags = stored.mode_flags();
                let left = self
                    .index(target, uid, sid, stored.filters(), &flags)
                    .await?;
                self.count_target(target, left).await?;
            }
        }
        Ok(())
    }
}
