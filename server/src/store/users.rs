//! Users (their tokens are in `tokens`, adding and removing subscriptions
//! and the indexes in `subscribe`).
//!
//! - `{p}user:{UID}`: one RedisJSON document per user, subscriptions inside:
//!   the source of truth every other key about the user follows.
//! - `{p}email:{email}`: normalised email -> uid.

use super::suspension::StoredSuspension;
use super::{Store, StoreError, now_ms, to_json};
use redis_hack_shared::{
    Channels, EmailAddress, Filters, QuietHours, Subscription, SubscriptionId, Target,
    TimeZoneName, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stored user document. Short field names keep memory per user low.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    #[serde(rename = "e")]
    pub email: EmailAddress,
    /// Seconds since the epoch.
    #[serde(rename = "c")]
    pub created_at: u64,
    #[serde(rename = "s", default)]
    subs: BTreeMap<SubscriptionId, StoredSub>,
    /// Set while alert emails are suspended (`suspension`).
    #[serde(rename = "es", default, skip_serializing_if = "Option::is_none")]
    pub(super) email_suspended: Option<StoredSuspension>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSub {
    #[serde(rename = "t")]
    target: Target,
    // Defaults (no filters; email only) are left out: every byte of the
    // document is multiplied by the number of users (see BENCHMARKS.md).
    #[serde(rename = "f", default, skip_serializing_if = "is_default")]
    filters: Filters,
    #[serde(rename = "ch", default, skip_serializing_if = "is_default")]
    channels: Channels,
    /// Milliseconds since the epoch, so subscriptions list in the order they were made.
    #[serde(rename = "c")]
    created_ms: u64,
    /// The webhook's signing secret (`whsec_...`); the URL is in `channels`.
    #[serde(rename = "ws", default, skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
    /// How its alerts behave (issue 12); every default is left out.
    #[serde(flatten)]
    alerting: StoredAlerting,
}

/// A subscription's alert behaviour as stored: one-shot and when it
/// disarmed (ms), follow-ups off, quiet hours and their zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct StoredAlerting {
    #[serde(rename = "o", default, skip_serializing_if = "is_default")]
    once: bool,
    #[serde(rename = "da", default, skip_serializing_if = "Option::is_none")]
    disarmed_ms: Option<u64>,
    #[serde(rename = "nf", default, skip_serializing_if = "is_default")]
    no_followup: bool,
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    quiet: Option<QuietHours>,
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    tz: Option<TimeZoneName>,
}

impl StoredAlerting {
    fn of(sub: &Subscription) -> Self {
        Self {
            once: sub.once,
            disarmed_ms: sub.disarmed_at.map(Timestamp::as_ms),
            no_followup: !sub.followup,
            quiet: sub.quiet,
            tz: (!sub.tz.is_default()).then(|| sub.tz.clone()),
        }
    }

    /// Its flags in `{p}mode:{target}` (see `arming`); empty for the default.
    fn mode_flags(&self) -> String {
        let mut flags = String::new();
        if self.disarmed_ms.is_some() {
            flags.push('d');
        }
        if self.no_followup {
            flags.push('n');
        }
        flags
    }

    fn apply(&self, sub: &mut Subscription) {
        sub.once = self.once;
        sub.disarmed_at = self.disarmed_ms.map(Timestamp::from_ms);
        sub.armed = self.disarmed_ms.is_none();
        sub.followup = !self.no_followup;
        sub.quiet = self.quiet;
        sub.tz = self.tz.clone().unwrap_or_default();
    }
}

impl StoredSub {
    /// `sub` as stored, made now, with its webhook's secret.
    pub(super) fn new(sub: &Subscription, webhook_secret: Option<&str>) -> Self {
        Self {
            target: sub.target.clone(),
            filters: sub.filters.clone(),
            channels: sub.channels.clone(),
            created_ms: now_ms(),
            webhook_secret: webhook_secret.map(str::to_owned),
            alerting: StoredAlerting::of(sub),
        }
    }

    pub(super) fn filters(&self) -> &Filters {
        &self.filters
    }

    /// Its flags in `{p}mode:{TARGET}` (see `arming`); empty for the default.
    pub(super) fn mode_flags(&self) -> String {
        self.alerting.mode_flags()
    }
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl UserDoc {
    /// Subscriptions, oldest first.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        let mut entries: Vec<(&SubscriptionId, &StoredSub)> = self.subs.iter().collect();
        entries.sort_by_key(|(id, s)| (s.created_ms, *id));
        entries
            .into_iter()
            .map(|(id, s)| {
                let mut sub = Subscription::new(
                    id.clone(),
                    s.target.clone(),
                    s.filters.clone(),
                    s.channels.clone(),
                    Timestamp::from_ms(s.created_ms),
                );
                s.alerting.apply(&mut sub);
                sub
            })
            .collect()
    }

    /// One subscription by id.
    pub fn subscription(&self, sid: &SubscriptionId) -> Option<Subscription> {
        self.subscriptions().into_iter().find(|s| s.id == *sid)
    }

    /// The signing secret of subscription `sid`'s webhook.
    pub fn webhook_secret(&self, sid: &SubscriptionId) -> Option<&str> {
        self.subs.get(sid)?.webhook_secret.as_deref()
    }
}

impl Store {
    /// The uid for `email`, creating the user on first verification.
    ///
    /// Two slots, in this order: the document first (`JSON.SET NX` under the
    /// new uid), then the email lookup (`SET NX GET`), so a lookup never
    /// points at no document; a crash in between leaves a document nobody
    /// looks up (`check` finds it), never a lookup to nothing. When the lookup
    /// names another uid (an earlier or concurrent verify won), our fresh
    /// document is deleted and the winner's is made sure of.
    // TODO(memory helper): the lookup becomes HSETNX in the bucketed `em:{B}`;
    // the order and the failpoint stay.
    pub async fn ensure_user(
        &self,
        email: &EmailAddress,
        new_uid: &UserId,
    ) -> Result<UserId, StoreError> {
        let email_key = self.key(&format!("email:{email}"));
        let mut conn = self.conn();
        let doc = to_json(
            "a user document",
            &UserDoc {
                email: email.clone(),
                created_at: now_ms() / 1000,
                subs: BTreeMap::new(),
                email_suspended: None,
            },
        )?;
        let create = |uid: &UserId| {
            redis::cmd("JSON.SET")
                .arg(self.user_key(uid))
                .arg("$")
                .arg(&doc)
                .arg("NX")
                .clone()
        };
        let created: Option<String> = create(new_uid).query_async(&mut conn).await?;
        super::failpoint::hit("user-doc-written");
        let previous: Option<String> = redis::cmd("SET")
            .arg(&email_key)
            .arg(new_uid.as_str())
            .arg("NX")
            .arg("GET")
            .query_async(&mut conn)
            .await?;
        let Some(known) = previous else {
            return Ok(new_uid.clone());
        };
        let uid = UserId::parse(&known)
            .map_err(|e| StoreError::Corrupt(format!("the uid of {email}: {e}")))?;
        if uid != *new_uid {
            if created.is_some() {
                // Nobody else knows the fresh uid, so its document is still empty.
                let _: u32 = redis::cmd("DEL")
                    .arg(self.user_key(new_uid))
                    .query_async(&mut conn)
                    .await?;
            }
            // NX: the known user's document is left untouched (made again
            // only if it is missing, as a verify always did).
            let _: Option<String> = create(&uid).query_async(&mut conn).await?;
        }
        Ok(uid)
    }

    pub async fn user(&self, uid: &UserId) -> Result<Option<UserDoc>, StoreError> {
        let raw: Option<String> = redis::cmd("JSON.GET")
            .arg(self.user_key(uid))
            .query_async(&mut self.conn())
            .await?;
        parse_user(uid, raw)
    }

    /// The user's tag group: every per-user key (`ver:`, `hist:`, `hook:`,
    /// `feed:`) shares it, so one script may write them with the document.
    pub(super) fn user_key(&self, uid: &UserId) -> String {
        self.tagged("user", uid.as_str(), "")
    }
}

/// A user document as `JSON.GET` returned it (nil: no such user).
pub(super) fn parse_user(uid: &UserId, raw: Option<String>) -> Result<Option<UserDoc>, StoreError> {
    raw.map(|r| {
        serde_json::from_str(&r).map_err(|e| StoreError::Corrupt(format!("user {uid}: {e}")))
    })
    .transpose()
}
