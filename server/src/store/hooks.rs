//! Webhook delivery state, one hash per subscription with a webhook:
//! `{p}hook:{uid}:{sid}` with `ok` (last 2xx, ms), `at` (last attempt, ms),
//! `res` (its result), `n` (failures since the last success), `fs` (first
//! failure of the current streak, ms), `off` (disabled at, ms) and `why`.
//! Deleted with the subscription.

use super::{Queue, Store, StoreError, UserDoc};
use redis::AsyncCommands;
use redis_hack_shared::{SubscriptionId, Timestamp, UserId, WebhookStatus};
use std::collections::HashMap;

impl Store {
    pub async fn hook_status(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
    ) -> Result<WebhookStatus, StoreError> {
        let h: HashMap<String, String> = self.conn().hgetall(self.hook_key(uid, sid)).await?;
        Ok(status_of(&h))
    }

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
    /// ends and the job is acknowledged, in one round trip. (Not atomic: a
    /// crash in between leaves the job to be delivered again, never lost.)
    pub async fn hook_delivered(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now_ms: u64,
        result: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        let key = self.hook_key(uid, sid);
        let mut pipe = redis::pipe();
        pipe.hset_multiple(
            &key,
            &[
                ("ok", now_ms.to_string()),
                ("at", now_ms.to_string()),
                ("res", result.to_owned()),
                ("n", "0".to_owned()),
            ],
        )
        .ignore()
        .hdel(&key, "fs")
        .ignore();
        self.push_ack(&mut pipe, Queue::Webhook, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// A delivery failed; returns when the current failure streak began (ms).
    pub async fn hook_failed(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
        now_ms: u64,
        result: &str,
    ) -> Result<u64, StoreError> {
        let key = self.hook_key(uid, sid);
        let (since,): (u64,) = redis::pipe()
            .atomic()
            .hset_multiple(
                &key,
                &[("at", now_ms.to_string()), ("res", result.to_owned())],
            )
            .ignore()
            .hincr(&key, "n", 1)
            .ignore()
            .hset_nx(&key, "fs", now_ms)
            .ignore()
            .hget(&key, "fs")
            .query_async(&mut self.conn())
            .await?;
        Ok(since)
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
        let key = self.hook_key(uid, sid);
        let first: bool = self.conn().hset_nx(&key, "off", now_ms).await?;
        if first {
            let () = self.conn().hset(&key, "why", why).await?;
        }
        Ok(first)
    }

    pub(super) fn hook_key(&self, uid: &UserId, sid: &SubscriptionId) -> String {
        self.key(&format!("hook:{uid}:{sid}"))
    }
}

fn status_of(h: &HashMap<String, String>) -> WebhookStatus {
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
