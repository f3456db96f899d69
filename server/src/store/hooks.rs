//! Webhook delivery state, one hash per subscription with a webhook:
//! `{p}hook:{UID}:{sid}` (the user's tag group, like `ver:`) with `ok` (last 2xx, ms), `at` (last attempt, ms),
//! `res` (its result), `n` (failures since the last success), `fs` (first
//! failure of the current streak, ms), `off` (disabled at, ms) and `why`.
//! Deleted with the subscription. Every write bumps the user's version
//! (`version`) in the same step: `list` shows this state.

use super::version::BUMP_LUA;
use super::{JobId, Queue, Store, StoreError, UserDoc};
use redis_hack_shared::{SubscriptionId, Timestamp, UserId, WebhookStatus};
use std::collections::HashMap;
use std::sync::LazyLock;

/// One of this module's scripts: KEYS are the hook's hash and the user's
/// version, and `body` ends by returning.
fn script(body: &str) -> redis::Script {
    redis::Script::new(&format!("{BUMP_LUA}\n{body}"))
}

// ARGV: now, result.
static DELIVERED: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        "redis.call('HSET', KEYS[1], 'ok', ARGV[1], 'at', ARGV[1], 'res', ARGV[2], 'n', 0)
redis.call('HDEL', KEYS[1], 'fs')
bump(KEYS[2])
return 1",
    )
});

// ARGV: now, result. Returns when the failure streak began.
static FAILED: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        "redis.call('HSET', KEYS[1], 'at', ARGV[1], 'res', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSETNX', KEYS[1], 'fs', ARGV[1])
bump(KEYS[2])
return redis.call('HGET', KEYS[1], 'fs')",
    )
});

// ARGV: now, why. Returns 1 only for the call that disabled it.
static DISABLE: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        "if redis.call('HSETNX', KEYS[1], 'off', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'why', ARGV[2])
bump(KEYS[2])
return 1",
    )
});

impl Store {
    /// The user's document and the webhook's state, in one round trip.
    pub async fn user_and_hook(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
    ) -> Result<(Option<UserDoc>, WebhookStatus), StoreError> {
        let (raw, h): (Option<String>, HashMap<String, String>) = redis::pipe()
            .cmd("JSON.GET")
            .arg(self.user_key(uid))
            .hgetall(self.hook_key(uid, sid))
            .query_async(&mut self.conn())
            .await?;
        Ok((super::users::parse_user(uid, raw)?, status_of(&h)))
    }

    /// The receiver took the delivery of queued job `id`: the failure streak
    /// ends, then the job is acknowledged (two slots, in this order: a crash
    /// in between leaves the job to be delivered again, never lost).
    pub async fn hook_delivered(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now_ms: u64,
        result: &str,
        id: &JobId,
    ) -> Result<(), StoreError> {
        let _: i64 = DELIVERED
            .key(self.hook_key(uid, sid))
            .key(self.version_key(uid))
            .arg(now_ms)
            .arg(result)
            .invoke_async(&mut self.conn())
            .await?;
        self.ack_job(Queue::Webhook, id).await
    }

    /// A delivery failed; returns when the current failure streak began (ms).
    pub async fn hook_failed(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now_ms: u64,
        result: &str,
    ) -> Result<u64, StoreError> {
        Ok(FAILED
            .key(self.hook_key(uid, sid))
            .key(self.version_key(uid))
            .arg(now_ms)
            .arg(result)
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// Disables the webhook; true only for the call that did it (so the owner
    /// is told once).
    pub async fn hook_disable(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now_ms: u64,
        why: &str,
    ) -> Result<bool, StoreError> {
        Ok(DISABLE
            .key(self.hook_key(uid, sid))
            .key(self.version_key(uid))
            .arg(now_ms)
            .arg(why)
            .invoke_async(&mut self.conn())
            .await?)
    }

    pub(super) fn hook_key(&self, uid: &UserId, sid: &SubscriptionId) -> String {
        self.tagged("hook", uid.as_str(), &format!(":{sid}"))
    }
}

pub(super) fn status_of(h: &HashMap<String, String>) -> WebhookStatus {
    let num = |k: &str| h.get(k).and_then(|v| v.parse::<u64>().ok());
    let at = |k: &str| num(k).map(Timestamp::from_ms);
    WebhookStatus {
        last_delivery_at: at("ok"),
        last_attempt_at: at("at"),
        last_result: h.get("res").cloned(),
        consecutive_failures: num("n").map_or(0, |n| n as u32),
        disabled_at: at("off"),
        disabled_reason: h.get("why").cloned(),
    }
}
