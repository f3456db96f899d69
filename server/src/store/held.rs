//! Alerts held by quiet hours, and when to send their digest:
//!
//! - `{p}held:{uid}:{sid}`: hash, alert job id -> the job (JSON) as it was
//!   held for that subscription; its length is `held` in `list`.
//! - `{p}digest:due`: sorted set of `{uid}:{sid}` scored by when the quiet
//!   window ends (ms); claiming pushes a member a lease ahead, like
//!   `poll:next`, so a crashed digest is sent by the next claimer.
//!
//! Holding and releasing bump the user's version (the count shows in `list`).

use super::version::BUMP_LUA;
use super::{Queue, Store, StoreError};
use redis_hack_shared::{SubscriptionId, UserId};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a claimed digest is left to its claimer before another takes it.
pub const DIGEST_LEASE: Duration = Duration::from_secs(60);

// NX: a window's end is set by its first held alert; a claimed member keeps its lease.
static HOLD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[4])
bump(KEYS[3])
return 1
"#
    ))
});

static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
"#,
    )
});

// Queues the digest email and the held alerts' webhook jobs, forgets the
// jobs it covers, and ends the member unless alerts were held meanwhile.
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
for _, f in ipairs(cjson.decode(ARGV[2])) do redis.call('HDEL', KEYS[1], f) end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[3], '*', 'j', ARGV[3]) end
for _, j in ipairs(cjson.decode(ARGV[4])) do redis.call('XADD', KEYS[4], '*', 'j', j) end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
bump(KEYS[5])
return 1
"#
    ))
});

impl Store {
    /// Holds `job` (JSON, id `job_id`) for subscription `sid` until `end_ms`.
    pub async fn hold_alert(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        job_id: &str,
        job: &str,
        end_ms: u64,
    ) -> Result<(), StoreError> {
        let _: i64 = HOLD
            .key(self.held_key(uid, sid))
            .key(self.key("digest:due"))
            .key(self.version_key(uid))
            .arg(job_id)
            .arg(job)
            .arg(end_ms)
            .arg(format!("{uid}:{sid}"))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Up to `n` digests due at `now_ms`, each leased for [`DIGEST_LEASE`].
    pub async fn claim_digests(
        &self,
        now_ms: u64,
        n: usize,
    ) -> Result<Vec<(UserId, SubscriptionId)>, StoreError> {
        let members: Vec<String> = CLAIM
            .key(self.key("digest:due"))
            .arg(now_ms)
            .arg(now_ms + DIGEST_LEASE.as_millis() as u64)
            .arg(n)
            .invoke_async(&mut self.conn())
            .await?;
        let parse = |m: &str| {
            let (uid, sid) = m.split_once(':')?;
            Some((UserId::parse(uid).ok()?, SubscriptionId::parse(sid).ok()?))
        };
        Ok(members.iter().filter_map(|m| parse(m)).collect())
    }

    /// Moves a claimed digest to `at_ms` (its subscription is quiet again).
    pub async fn postpone_digest(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("ZADD")
            .arg(self.key("digest:due"))
            .arg(at_ms)
            .arg(format!("{uid}:{sid}"))
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The jobs held for `sid`: job id -> JSON.
    pub async fn held_alerts(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
    ) -> Result<HashMap<String, String>, StoreError> {
        Ok(redis::cmd("HGETALL")
            .arg(self.held_key(uid, sid))
            .query_async(&mut self.conn())
            .await?)
    }

    /// Sends the digest of `sid`: queues `email` (if any) and `hooks`, and
    /// forgets the held jobs `covered`, in one step.
    pub async fn release_held(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        covered: &[String],
        email: Option<&str>,
        hooks: &[String],
    ) -> Result<(), StoreError> {
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let _: i64 = RELEASE
            .key(self.held_key(uid, sid))
            .key(self.key("digest:due"))
            .key(self.key(Queue::Email.stream()))
            .key(self.key(Queue::Webhook.stream()))
            .key(self.version_key(uid))
            .arg(format!("{uid}:{sid}"))
            .arg(json(covered))
            .arg(email.unwrap_or_default())
            .arg(json(hooks))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    pub(super) fn held_key(&self, uid: &UserId, sid: &SubscriptionId) -> String {
        self.key(&format!("held:{uid}:{sid}"))
    }
}
