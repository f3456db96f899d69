//! What `list` shows, read in two round trips whatever the number of
//! subscriptions: the user's document with its history (`hist:`), then every
//! subscription's poll state (`poll:`), webhook state (`hook:`) and, for
//! those with quiet hours, how many alerts are held (`held:`). Its 304 reads
//! only the version (`version`).

use super::history::{Moments, moments_of};
use super::hooks::status_of;
use super::users::parse_user;
use super::{PollState, Store, StoreError, UserDoc};
use redis_hack_shared::{SubscriptionId, TargetKey, UserId, WebhookStatus};
use std::collections::HashMap;

/// The user's history, per subscription.
pub type UserHistory = HashMap<SubscriptionId, Moments>;

impl Store {
    /// The user's document (`None`: no such user) and history, in one round trip.
    pub async fn user_and_history(
        &self,
        uid: &UserId,
    ) -> Result<(Option<UserDoc>, UserHistory), StoreError> {
        let (raw, history): (Option<String>, HashMap<String, u64>) = redis::pipe()
            .cmd("JSON.GET")
            .arg(self.user_key(uid))
            .cmd("HGETALL")
            .arg(self.hist_key(uid))
            .query_async(&mut self.conn())
            .await?;
        Ok((parse_user(uid, raw)?, moments_of(history)))
    }

    /// The poll state of each of `targets` and the webhook state of each of
    /// the user's `hooks`, in that order, in one round trip.
    pub async fn polls_and_hooks(
        &self,
        uid: &UserId,
        targets: &[TargetKey],
        hooks: &[SubscriptionId],
    ) -> Result<(Vec<PollState>, Vec<WebhookStatus>), StoreError> {
        let (polls, hooks, _) = self.list_state(uid, targets, hooks, &[]).await?;
        Ok((polls, hooks))
    }

    /// `polls_and_hooks`, and how many alerts are held for each of `quiet`,
    /// still in one round trip.
    pub async fn list_state(
        &self,
        uid: &UserId,
        targets: &[TargetKey],
        hooks: &[SubscriptionId],
        quiet: &[SubscriptionId],
    ) -> Result<(Vec<PollState>, Vec<WebhookStatus>, Vec<u32>), StoreError> {
        let one = |name: &str, key: String| redis::cmd(name).arg(key).clone();
        let cmds = (targets.iter().map(|t| one("HGETALL", self.poll_key(t))))
            .chain(hooks.iter().map(|s| one("HGETALL", self.hook_key(uid, s))))
            .chain(quiet.iter().map(|s| one("HLEN", self.held_key(uid, s))))
            .collect();
        // Several slots on a cluster: `query_each` sends them all at once.
        let mut values = self.query_each(cmds).await?;
        let held = values.split_off(targets.len() + hooks.len());
        let hooks = values.split_off(targets.len());
        let bad = |e: redis::ParsingError| StoreError::Corrupt(format!("a listing reply: {e}"));
        let hash = |v| redis::from_redis_value::<HashMap<String, String>>(v).map_err(bad);
        let polls = values
            .into_iter()
            .map(|v| Ok(PollState::from_hash(hash(v)?)))
            .collect::<Result<_, StoreError>>()?;
        let hooks = hooks
            .into_iter()
            .map(|v| Ok(status_of(&hash(v)?)))
            .collect::<Result<_, StoreError>>()?;
        let held = held
            .into_iter()
            .map(|v| redis::from_redis_value::<u32>(v).map_err(bad))
            .collect::<Result<_, _>>()?;
        Ok((polls, hooks, held))
    }
}
