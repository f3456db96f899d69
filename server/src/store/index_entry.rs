//! One entry of a target's fan-out index, as bytes (layout 4).
//!
//! A target's index is 16 hashes, `{p}idx:{TARGET}0` .. `{p}idx:{TARGET}f`,
//! one per first hex digit of the subscriber's uid, all in the target's tag
//! (one slot). Split this way, a district with up to ~8,000 subscribers
//! keeps every part under `hash-max-listpack-entries` (512 in the Redis this
//! project runs), so each part is a listpack, a few bytes per entry, where
//! one hash of 2,000 entries was a hashtable at ~80 B each (BENCHMARKS.md
//! "Storage"). Each entry is:
//!
//! - field: the uid's 8 bytes (its 16 hex digits, decoded) then the
//!   subscription id (`s` and 8 hex digits): 17 bytes;
//! - value: the subscription's filters as JSON, or empty for the default
//!   filters (most subscriptions).
//!
//! The mode hash (`arming`) keeps the text member `{uid}:{sid}`: it holds
//! only the few subscriptions with a flag.

use super::StoreError;
use redis_hack_shared::{Filters, SubscriptionId, UserId};

/// How many parts a target's index is split into.
pub(super) const PARTS: usize = 16;

/// The suffix of every part of an index, in order: `0` .. `f`.
pub(super) const PART_NAMES: [&str; PARTS] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f",
];

/// The uid's 8 bytes; an error for a uid that is not 16 hex digits (the
/// server makes no other kind).
fn uid_bytes(uid: &UserId) -> Result<[u8; 8], StoreError> {
    let mut out = [0u8; 8];
    hex::decode_to_slice(uid.as_str(), &mut out)
        .map_err(|_| StoreError::Corrupt(format!("uid {uid} is not 16 hex digits")))?;
    Ok(out)
}

/// The part of an index that holds `uid`'s entries: its first hex digit.
pub(super) fn part_of(uid: &UserId) -> Result<&'static str, StoreError> {
    let first = uid_bytes(uid)?[0] >> 4;
    Ok(PART_NAMES[usize::from(first)])
}

/// The field of `uid`'s subscription `sid` in its index part.
pub(super) fn field(uid: &UserId, sid: &SubscriptionId) -> Result<Vec<u8>, StoreError> {
    let mut out = uid_bytes(uid)?.to_vec();
    out.extend_from_slice(sid.as_str().as_bytes());
    Ok(out)
}

/// The uid and subscription id of a field; `None` if it is not one.
pub(super) fn parse_field(raw: &[u8]) -> Option<(UserId, SubscriptionId)> {
    if raw.len() <= 8 {
        return None;
    }
    let uid = UserId::parse(&hex::encode(&raw[..8])).ok()?;
    let sid = SubscriptionId::parse(std::str::from_utf8(&raw[8..]).ok()?).ok()?;
    Some((uid, sid))
}

/// What the entry of a subscription with `filters` holds.
pub(super) fn value(filters: &Filters) -> Result<String, StoreError> {
    if *filters == Filters::default() {
        return Ok(String::new());
    }
    super::to_json("filters", filters)
}

/// The filters an entry holds; `None` if they cannot be read.
pub(super) fn parse_value(raw: &[u8]) -> Option<Filters> {
    match raw {
        [] => Some(Filters::default()),
        raw => serde_json::from_slice(raw).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_the_uid_bytes_then_the_subscription_id() {
        let uid = UserId::parse("c0ffee0123456789").unwrap();
        let sid = SubscriptionId::parse("s1a2b3c4d").unwrap();
        let raw = field(&uid, &sid).unwrap();
        assert_eq!(raw.len(), 17);
        assert_eq!(&raw[..2], &[0xc0, 0xff]);
        assert_eq!(parse_field(&raw), Some((uid.clone(), sid)));
        assert_eq!(part_of(&uid).unwrap(), "c");
        assert!(parse_field(&raw[..8]).is_none(), "no subscription id");
        assert!(parse_field(b"0123456789ab:s1").is_none(), "':' is no id");
        assert!(
            field(
                &UserId::parse("short").unwrap(),
                &SubscriptionId::parse("s1").unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn default_filters_are_stored_as_nothing() {
        assert_eq!(value(&Filters::default()).unwrap(), "");
        assert_eq!(parse_value(b""), Some(Filters::default()));
        assert_eq!(parse_value(b"{nope"), None);
    }
}
