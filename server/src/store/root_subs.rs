//! A user's subscriptions at the root of the user document (layout 3):
//! `{"e": …, "v": …, "s1a2b3c4d": {…}, "s5e6f7a8b": {…}}`, one
//! JSON object fewer per user than a map under a field of its own (RedisJSON
//! allocates each object, ~128 B with its index; BENCHMARKS.md "Storage").
//!
//! The rule, here and in Lua alike: a root key is a subscription if and only
//! if it is a well-formed subscription id and not one of [`USER_FIELDS`].
//! The server makes ids `s` and 8 hex digits, so they never collide with the
//! user's own fields; other keys (none today) are left alone, not misread.

use super::stored_sub::StoredSub;
use redis_hack_shared::{SubscriptionId, Target};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// The user document's own root fields, never subscriptions: email,
/// version and email suspension, and `c` (layout 3's creation time, kept
/// out of the subscription ids so no id can take that name again).
pub(super) const USER_FIELDS: [&str; 4] = ["e", "c", "v", "es"];

/// Whether root key `key` of a user document is a subscription.
pub(super) fn is_subscription_key(key: &str) -> bool {
    !USER_FIELDS.contains(&key) && SubscriptionId::parse(key).is_ok()
}

/// `$.{sid}`: subscription `sid` in its user's document; `None` for an id
/// that names one of the user's own fields (no such subscription can exist).
pub(super) fn sub_path(sid: &SubscriptionId) -> Option<String> {
    is_subscription_key(sid.as_str()).then(|| format!("$.{sid}"))
}

/// Lua: `is_sub(key)`, [`is_subscription_key`] for scripts (ids are 1 to 64
/// lower-case letters and digits, `check_id` in the shared crate).
pub(super) static IS_SUB_LUA: LazyLock<String> = LazyLock::new(|| {
    let fields: Vec<String> = USER_FIELDS.iter().map(|f| format!("{f}=true")).collect();
    format!(
        r#"
local USER_FIELDS = {{{}}}
local function is_sub(key)
  return #key <= 64 and string.match(key, '^[a-z0-9]+$') ~= nil and not USER_FIELDS[key]
end
"#,
        fields.join(", ")
    )
});

/// The target of a stored subscription as `JSON.GET {user} $.{sid}`
/// returns it (`[]`: no such subscription).
pub(super) fn target_of_sub(raw: &str) -> Option<Target> {
    let found: Vec<StoredSub> = serde_json::from_str(raw).ok()?;
    found.first().map(StoredSub::target)
}

/// The subscriptions of a user document, (de)serialized as root keys by
/// `#[serde(flatten)]`: the keys that are not subscriptions are skipped.
#[derive(Debug, Clone, Default)]
pub(super) struct RootSubs(pub(super) BTreeMap<SubscriptionId, StoredSub>);

impl Serialize for RootSubs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (sid, sub) in &self.0 {
            map.serialize_entry(sid, sub)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RootSubs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RootVisitor)
    }
}

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = RootSubs;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user document's subscriptions, keyed by their ids")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RootSubs, A::Error> {
        let mut subs = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if !is_subscription_key(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let sub: StoredSub = map
                .next_value()
                .map_err(|e| de::Error::custom(format!("subscription {key}: {e}")))?;
            let sid = SubscriptionId::parse(&key).map_err(de::Error::custom)?;
            subs.insert(sid, sub);
        }
        Ok(RootSubs(subs))
    }
}

#[cfg(test)]
mod tests {
    use super::super::users::UserDoc;
    use super::*;

    #[test]
    fn a_root_key_is_a_subscription_only_if_it_is_an_id_and_not_a_user_field() {
        for field in USER_FIELDS {
            assert!(!is_subscription_key(field), "{field}");
            let sid = SubscriptionId::parse(field).unwrap();
            assert_eq!(sub_path(&sid), None, "{field} is no subscription's path");
        }
        for other in ["", "S1A2B3C4D", "s1:2", "x-y", &"s".repeat(65)] {
            assert!(!is_subscription_key(other), "{other}");
        }
        for sid in ["s1a2b3c4d", "s1", "ee", "vv"] {
            assert!(is_subscription_key(sid), "{sid}");
        }
        let sid = SubscriptionId::parse("s1a2b3c4d").unwrap();
        assert_eq!(sub_path(&sid).as_deref(), Some("$.s1a2b3c4d"));
    }

    const PATNA: &str = r#"{"t":"d:97","dn":"Patna","sn":"Bihar","c":5}"#;

    fn read(raw: &str) -> Result<UserDoc, serde_json::Error> {
        serde_json::from_str(raw)
    }

    #[test]
    fn a_document_reads_its_subscriptions_and_nothing_else_from_its_root() {
        let raw = format!(
            r#"{{"e":"a@example.com","v":3466260000247,"es":{{"r":"550","t":3}},
            "X-other":[1],"s1a2b3c4d":{PATNA},"s5e6f7a8b":{PATNA}}}"#
        );
        let doc = read(&raw).unwrap();
        let ids: Vec<String> = doc
            .subscriptions()
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        assert_eq!(ids, ["s1a2b3c4d", "s5e6f7a8b"]);
        assert_eq!(doc.email.as_str(), "a@example.com");
        assert!(doc.email_suspension().is_some());
        // Written back, the subscriptions are root keys again.
        let json = serde_json::to_value(&doc).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["e", "es", "s1a2b3c4d", "s5e6f7a8b", "v"]);
        assert_eq!(read(&json.to_string()).unwrap().subscriptions().len(), 2);
    }

    #[test]
    fn a_subscription_that_cannot_be_read_makes_the_document_unreadable() {
        let bad = r#"{"e":"a@example.com","s1a2b3c4d":"unreadable"}"#;
        let e = read(bad).unwrap_err().to_string();
        assert!(e.contains("subscription s1a2b3c4d"), "{e}");
        // A document of layout 2 (subscriptions under `s`) is not read as
        // one without subscriptions.
        let layout2 = format!(r#"{{"e":"a@example.com","s":{{"s1a2b3c4d":{PATNA}}}}}"#);
        let e = read(&layout2).unwrap_err().to_string();
        assert!(e.contains("subscription s"), "{e}");
    }
}
