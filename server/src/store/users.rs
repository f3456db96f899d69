//! Users (their tokens are in `tokens`, the email lookup in `lookups`,
//! adding and removing subscriptions and the indexes in `subscribe`).
//!
//! - `{p}user:{UID}`: one RedisJSON document per user, its subscriptions at
//!   its root beside the user's fields (`root_subs`), and the user's version
//!   (`v`, see `version`): the source of truth every other key about the
//!   user follows. `{"e": email, "c": created (s), "v": version,
//!   "s1a2b3c4d": {"t": "d:97", "dn": "Patna", "sn": "Bihar", "c": ms}}`.
//!
//! The document is flat because RedisJSON allocates each object (~128 B
//! with its index) and each distinct string (~48 B) on its own: no map
//! holds the subscriptions (layout 3; layout 2 had them under `s`), the
//! target is its key string (`d:97`) with the district's names beside it,
//! not an object, and defaults are left out. Equal strings (a district's
//! names, a target key) are interned, so subscribers of one district share
//! them (BENCHMARKS.md "Storage").

use super::root_subs::RootSubs;
use super::suspension::StoredSuspension;
use super::{Store, StoreError, now_ms};
use redis_hack_shared::{
    Channels, EmailAddress, Filters, QuietHours, Subscription, SubscriptionId, Target, TargetKey,
    TimeZoneName, Timestamp, UserId,
};
use serde::{Deserialize, Serialize};

/// The stored user document. Short field names keep memory per user low.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    #[serde(rename = "e")]
    pub email: EmailAddress,
    /// Seconds since the epoch.
    #[serde(rename = "c")]
    pub created_at: u64,
    /// Set while alert emails are suspended (`suspension`).
    #[serde(rename = "es", default, skip_serializing_if = "Option::is_none")]
    pub(super) email_suspended: Option<StoredSuspension>,
    /// The user's version, `"{v}.{t}.{p}"`: written only by `bump` (Lua, in
    /// `version`), absent until the first change.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    /// Every other root key that is a subscription id (`root_subs`).
    #[serde(flatten)]
    subs: RootSubs,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredSub {
    /// The target's key: `d:97`, `p:800001`, `t:cs101`.
    #[serde(rename = "t")]
    target: TargetKey,
    /// A district's name and its state's (districts only).
    #[serde(rename = "dn", default, skip_serializing_if = "Option::is_none")]
    district_name: Option<String>,
    #[serde(rename = "sn", default, skip_serializing_if = "Option::is_none")]
    state_name: Option<String>,
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

impl StoredSub {
    /// `sub` as stored, made now, with its webhook's secret.
    pub(super) fn new(sub: &Subscription, webhook_secret: Option<&str>) -> Self {
        let (district_name, state_name) = match &sub.target {
            Target::District {
                district_name,
                state_name,
                ..
            } => (Some(district_name.clone()), Some(state_name.clone())),
            Target::Pincode { .. } | Target::Topic { .. } => (None, None),
        };
        Self {
            target: sub.target.key(),
            district_name,
            state_name,
            filters: sub.filters.clone(),
            channels: sub.channels.clone(),
            created_ms: now_ms(),
            webhook_secret: webhook_secret.map(str::to_owned),
            alerting: StoredAlerting::of(sub),
        }
    }

    pub(super) fn target(&self) -> Target {
        let name = |n: &Option<String>| n.clone().unwrap_or_default();
        match &self.target {
            TargetKey::District(district_id) => Target::District {
                district_id: *district_id,
                district_name: name(&self.district_name),
                state_name: name(&self.state_name),
            },
            TargetKey::Pincode(pincode) => Target::Pincode {
                pincode: pincode.clone(),
            },
            TargetKey::Topic(topic) => Target::Topic {
                topic: topic.clone(),
            },
        }
    }
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
    /// A new user's document: no subscriptions, no version yet.
    pub(super) fn new(email: EmailAddress) -> Self {
        Self {
            email,
            created_at: now_ms() / 1000,
            subs: RootSubs::default(),
            email_suspended: None,
            version: None,
        }
    }

    /// Subscriptions, oldest first.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        let mut entries: Vec<(&SubscriptionId, &StoredSub)> = self.subs.0.iter().collect();
        entries.sort_by_key(|(id, s)| (s.created_ms, *id));
        entries
            .into_iter()
            .map(|(id, s)| {
                let mut sub = Subscription::new(
                    id.clone(),
                    s.target(),
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
        self.subs.0.get(sid)?.webhook_secret.as_deref()
    }
}

impl Store {
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

#[cfg(test)]
mod tests {
    use super::super::root_subs::target_of_sub;
    use super::*;

    #[test]
    fn a_new_user_document_is_flat_and_has_no_version_yet() {
        let doc = UserDoc::new(EmailAddress::parse("a@example.com").unwrap());
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["e"], "a@example.com");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["c", "e"], "no subscriptions, version or suspension");
    }

    #[test]
    fn a_subscription_stores_its_target_as_its_key_with_the_names_beside_it() {
        let target = Target::District {
            district_id: 97.into(),
            district_name: "Patna".into(),
            state_name: "Bihar".into(),
        };
        let sub = Subscription::new(
            SubscriptionId::parse("s1a2b3c4d").unwrap(),
            target.clone(),
            Filters::default(),
            Channels::default(),
            Timestamp::from_ms(1),
        );
        let stored = serde_json::to_value(StoredSub::new(&sub, None)).unwrap();
        let keys: Vec<&str> = stored
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["c", "dn", "sn", "t"], "defaults are left out");
        assert_eq!(stored["t"], "d:97");
        let raw = format!(r#"{{"e":"a@example.com","c":1,"v":"2.5.4","s1a2b3c4d":{stored}}}"#);
        let doc: UserDoc = serde_json::from_str(&raw).unwrap();
        assert_eq!(doc.subscriptions()[0].target, target);
        assert_eq!(target_of_sub(&format!("[{stored}]")), Some(target));
        assert_eq!(target_of_sub("[]"), None);
        let pin = Target::Pincode {
            pincode: redis_hack_shared::Pincode::parse("800001").unwrap(),
        };
        let stored = StoredSub::new(
            &Subscription {
                target: pin.clone(),
                ..sub
            },
            None,
        );
        assert_eq!(stored.target(), pin);
    }
}
