//! Users (their uids, worked out from their addresses, are in `uids`, their
//! tokens in `tokens`, adding and removing subscriptions and the indexes in
//! `subscribe`). Users are never deleted: finding one by address relies on
//! it (`uids`).
//!
//! - `{p}user:{UID}`: one RedisJSON document per user, its subscriptions at
//!   its root beside the user's fields (`root_subs`), and the user's version
//!   (`v`, see `version`): the source of truth every other key about the
//!   user follows. `{"e": email, "v": version,
//!   "s1a2b3c4d": {"t": "d:97", "dn": "Patna", "sn": "Bihar", "c": ms}}`.
//!
//! The document is flat because RedisJSON allocates each object (~128 B
//! with its index) and each distinct string (~48 B) on its own: no map
//! holds the subscriptions (layout 3; layout 2 had them under `s`), the
//! target is its key string (`d:97`) with the district's names beside it,
//! not an object, and defaults are left out. Equal strings (a district's
//! names, a target key) are interned, so subscribers of one district share
//! them (BENCHMARKS.md "Storage"). The user has no creation time (layout 3
//! had one, `c`, in seconds): nothing read it, a number that large costs
//! 16 B, and a fourth root key filled the object's room for four, so the
//! next bump of `v` grew it by ~96 B (BENCHMARKS.md "Storage").

use super::root_subs::RootSubs;
use super::stored_sub::StoredSub;
use super::suspension::StoredSuspension;
use super::{Store, StoreError};
use redis_hack_shared::{EmailAddress, Subscription, SubscriptionId, UserId};
use serde::{Deserialize, Serialize};

/// The stored user document. Short field names keep memory per user low.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    #[serde(rename = "e")]
    pub email: EmailAddress,
    /// Set while alert emails are suspended (`suspension`).
    #[serde(rename = "es", default, skip_serializing_if = "Option::is_none")]
    pub(super) email_suspended: Option<StoredSuspension>,
    /// The user's version, `2 * t + c`: written only by `bump` (Lua, in
    /// `version`), absent until the first change.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    /// Every other root key that is a subscription id (`root_subs`).
    #[serde(flatten)]
    subs: RootSubs,
}

impl UserDoc {
    /// A new user's document: no subscriptions, no version yet.
    pub(super) fn new(email: EmailAddress) -> Self {
        Self {
            email,
            subs: RootSubs::default(),
            email_suspended: None,
            version: None,
        }
    }

    /// Subscriptions, oldest first.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        let mut entries: Vec<(&SubscriptionId, &StoredSub)> = self.subs.0.iter().collect();
        entries.sort_by_key(|(id, s)| (s.created_ms(), *id));
        entries
            .into_iter()
            .map(|(id, s)| s.to_subscription(id))
            .collect()
    }

    /// One subscription by id.
    pub fn subscription(&self, sid: &SubscriptionId) -> Option<Subscription> {
        self.subscriptions().into_iter().find(|s| s.id == *sid)
    }

    /// The signing secret of subscription `sid`'s webhook.
    pub fn webhook_secret(&self, sid: &SubscriptionId) -> Option<&str> {
        self.subs.0.get(sid)?.webhook_secret()
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
    use redis_hack_shared::{Channels, Filters, Target, Timestamp};

    #[test]
    fn a_new_user_document_is_flat_and_has_no_version_yet() {
        let doc = UserDoc::new(EmailAddress::parse("a@example.com").unwrap());
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["e"], "a@example.com");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["e"],
            "no creation time, subscriptions, version or suspension"
        );
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
        let raw = format!(r#"{{"e":"a@example.com","v":3466260000247,"s1a2b3c4d":{stored}}}"#);
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
