//! Alerts held by quiet hours, and when to send their digest:
//!
//! - `{p}held:{uid}:{sid}` (the user's slot): hash, alert job id -> the job
//!   (JSON) as it was held for that subscription; its length is `held` in `list`.
//! - `{p}digest:due` (global): sorted set of `{uid}:{sid}` scored by when the
//!   quiet window ends (ms); claiming pushes a member a lease ahead, like
//!   `poll:next`, so a crashed digest is sent by the next claimer.
//!
//! Holding and releasing bump the user's version (the count shows in `list`).
//!
//! The held hash, `digest:due` and the user's queue partition are three
//! slots in a cluster, so no script spans them; the writes are ordered so
//! that a crash between two of them leaves at most a duplicate digest or a
//! due member with nothing held (released as an empty digest), never a held
//! alert without a due member (which nobody would ever send):
//!
//! - hold: `ZADD NX` the member, then the held job (+ version), then
//!   `ZADD NX` again (a release that emptied the hash in between may have
//!   removed the member);
//! - release: queue the digest and webhook jobs on the user's partition,
//!   then forget the held jobs (+ version), then, if none is left, remove
//!   the member and look again: an alert held meanwhile puts it back, due now
//!   (its claimer postpones it while the subscription is still quiet).

use super::version::BUMP_LUA;
use super::{Queue, Store, StoreError};
use redis_hack_shared::{SubscriptionId, UserId};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a claimed digest is left to its claimer before another takes it.
pub const DIGEST_LEASE: Duration = Duration::from_secs(60);

// The held job and the version, on the user's slot.
static HOLD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
bump(KEYS[2])
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

// Forgets the held jobs a digest covered, on the user's slot; returns how
// many are still held (alerts held since the digest was planned).
static FORGET: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
for _, f in ipairs(cjson.decode(ARGV[1])) do redis.call('HDEL', KEYS[1], f) end
bump(KEYS[2])
return redis.call('HLEN', KEYS[1])
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
        let member = format!("{uid}:{sid}");
        self.due_nx(&member, end_ms).await?;
        let _: i64 = HOLD
            .key(self.held_key(uid, sid))
            .key(self.version_key(uid))
            .arg(job_id)
            .arg(job)
            .invoke_async(&mut self.conn())
            .await?;
        self.due_nx(&member, end_ms).await
    }

    /// `digest:due` gets `member` at `at_ms` unless it is there (a window's
    /// end is set by its first held alert; a claimed member keeps its lease).
    async fn due_nx(&self, member: &str, at_ms: u64) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("ZADD")
            .arg(self.key("digest:due"))
            .arg("NX")
            .arg(at_ms)
            .arg(member)
            .query_async(&mut self.conn())
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

    /// Sends the digest of `sid`: queues `email` (if any) and `hooks` on the
    /// user's partition, forgets the held jobs `covered`, and ends the due
    /// member unless alerts were held meanwhile, in that order (module header).
    pub async fn release_held(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        covered: &[String],
        email: Option<&str>,
        hooks: &[String],
    ) -> Result<(), StoreError> {
        // 1. The jobs first: a crash after this sends the digest again (a
        // duplicate), never loses it. One slot: atomic.
        let partition = self.partition_of(uid);
        let mut pipe = redis::pipe();
        pipe.atomic();
        if let Some(body) = email {
            self.push_enqueue(&mut pipe, Queue::Email, partition, body);
        }
        for body in hooks {
            self.push_enqueue(&mut pipe, Queue::Webhook, partition, body);
        }
        if email.is_some() || !hooks.is_empty() {
            let () = pipe.query_async(&mut self.conn()).await?;
        }
        // 2. Then forget what they cover.
        let covered = serde_json::to_string(covered).unwrap_or_else(|_| "[]".into());
        let left: u64 = FORGET
            .key(self.held_key(uid, sid))
            .key(self.version_key(uid))
            .arg(covered)
            .invoke_async(&mut self.conn())
            .await?;
        if left > 0 {
            return Ok(());
        }
        // 3. Nothing left: end the member, then look again, since a hold may
        // have slipped in between (it re-adds the member itself only if its
        // second ZADD NX came after this ZREM).
        let member = format!("{uid}:{sid}");
        let _: i64 = redis::cmd("ZREM")
            .arg(self.key("digest:due"))
            .arg(&member)
            .query_async(&mut self.conn())
            .await?;
        let held: u64 = redis::cmd("HLEN")
            .arg(self.held_key(uid, sid))
            .query_async(&mut self.conn())
            .await?;
        if held > 0 {
            self.due_nx(&member, super::now_ms()).await?;
        }
        Ok(())
    }

    pub(super) fn held_key(&self, uid: &UserId, sid: &SubscriptionId) -> String {
        self.tagged("held", uid.as_str(), &format!(":{sid}"))
    }
}
