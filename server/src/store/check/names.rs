//! Every key name and stored value `check` reads or writes, in one place, so
//! a change of layout is adapted here and nowhere else in `check`.
//!
//! Names are built through the store's own key functions where the store has
//! one (`user_key`, `version_key`, `mode_key`, ...), so they follow the
//! layout the rest of the store writes. Scanned names are read back by
//! `classify`, which knows the tagged names of layout 2 on (`user:{0123…}`,
//! `idx:{d:97}0`, `tk:{B}`, ...) only: a store of layout 1, untagged, is
//! refused before `check` runs (`layout.rs`).
//!
//! The token lookup is a bucketed hash (`tk:{B}`: binary token hash ->
//! record); a user's uid is worked out from its address (`uids`). What to
//! adapt when their formats change: `token_record_uid` (the uid in a token
//! record) and `probe_uids` (the uids an address leads to).

use crate::store::Store;
use crate::store::index_entry::{self, PART_NAMES};
use redis_hack_shared::{EmailAddress, Filters, Subscription, SubscriptionId, TargetKey, UserId};

/// What a scanned key is, from its name alone.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scanned {
    /// `user:`: a user's document.
    User(UserId),
    /// `idx:{TARGET}X`: part X (`0` .. `f`) of a target's fan-out index
    /// (`index_entry`: uid bytes and sid -> filters).
    Index(TargetKey, &'static str),
    /// `mode:`: a target's per-subscription flags, `{uid}:{sid}` -> flags.
    Mode(TargetKey),
    /// `tk:{B}`: a hash of token hash -> record (`token_record_uid`).
    TokenBucket,
    /// A key that lives and dies with its user: `hist:`, `ver:`, `feed:`,
    /// `hook:{uid}:{sid}`, `held:{uid}:{sid}`.
    OfUser(UserId),
    /// Anything else under the prefix (queues, polls, limits, ...).
    Other,
}

/// What the key `key` (under `prefix`) is.
pub(super) fn classify(prefix: &str, key: &str) -> Scanned {
    let Some((kind, rest)) = key.strip_prefix(prefix).and_then(|r| r.split_once(':')) else {
        return Scanned::Other;
    };
    let uid = |raw: &str| UserId::parse(raw).map_or(Scanned::Other, Scanned::OfUser);
    let target = |raw: &str| TargetKey::parse(raw).ok();
    match kind {
        "user" => whole(rest).map_or(Scanned::Other, |raw| {
            UserId::parse(raw).map_or(Scanned::Other, Scanned::User)
        }),
        "idx" => index_part(rest)
            .and_then(|(raw, part)| Some(Scanned::Index(target(raw)?, part)))
            .unwrap_or(Scanned::Other),
        "mode" => whole(rest)
            .and_then(target)
            .map_or(Scanned::Other, Scanned::Mode),
        "hist" | "ver" | "feed" => whole(rest).map_or(Scanned::Other, uid),
        "hook" | "held" => first(rest).map_or(Scanned::Other, uid),
        "tk" => Scanned::TokenBucket,
        _ => Scanned::Other,
    }
}

/// `{tag}` -> `tag`; `None` for a name without one.
fn whole(rest: &str) -> Option<&str> {
    rest.strip_prefix('{')?.strip_suffix('}')
}

/// `{tag}X` -> (`tag`, `X`) for X a part of an index (`0` .. `f`).
fn index_part(rest: &str) -> Option<(&str, &'static str)> {
    let (tag, part) = rest.strip_prefix('{')?.split_once('}')?;
    Some((tag, PART_NAMES.into_iter().find(|p| *p == part)?))
}

/// The tag of `{uid}:sid`: the uid; `None` for a name without one.
fn first(rest: &str) -> Option<&str> {
    Some(rest.strip_prefix('{')?.split_once('}')?.0)
}

/// A SCAN pattern matching every key under `prefix` (glob characters in it escaped).
pub(super) fn pattern(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

/// An index member: `{uid}:{sid}`.
pub(super) fn member(uid: &UserId, sid: &SubscriptionId) -> String {
    format!("{uid}:{sid}")
}

/// The uid of index member `{uid}:{sid}`.
pub(super) fn member_uid(member: &str) -> Option<UserId> {
    UserId::parse(member.split_once(':')?.0).ok()
}

/// What a subscription's index entry holds (`index_entry::value`).
pub(super) fn index_value(filters: &Filters) -> String {
    index_entry::value(filters).unwrap_or_default()
}

/// The filters an index entry holds; `None` if they cannot be read.
pub(super) fn index_filters(value: &[u8]) -> Option<Filters> {
    index_entry::parse_value(value)
}

/// The member (`{uid}:{sid}`) of an entry read from index part `part`;
/// `None` for a field that is no entry, or one in another uid's part.
pub(super) fn index_member(part: &str, field: &[u8]) -> Option<String> {
    let (uid, sid) = index_entry::parse_field(field)?;
    (index_entry::part_of(&uid).ok()? == part).then(|| member(&uid, &sid))
}

/// A subscription's flags in `mode:`: `d` disarmed, `n` no follow-up;
/// empty (no entry) for the default.
pub(super) fn mode_flags(sub: &Subscription) -> String {
    let mut flags = String::new();
    if sub.disarmed_at.is_some() {
        flags.push('d');
    }
    if !sub.followup {
        flags.push('n');
    }
    flags
}

/// Whether stored flags say what `expected` says, in any order.
pub(super) fn same_flags(stored: &str, expected: &str) -> bool {
    let set = |s: &str| s.chars().collect::<std::collections::BTreeSet<_>>();
    set(stored) == set(expected)
}

/// The uid in a token record (`tk:{B}` value; `tokens::pack_record`).
pub(super) fn token_record_uid(record: &[u8]) -> Option<UserId> {
    super::super::tokens::record_uid(record)
}

/// The uids `email` may have, in the order the server tries them (`uids`).
pub(super) fn probe_uids(email: &EmailAddress) -> impl Iterator<Item = UserId> + '_ {
    super::super::uids::probe_uids(email)
}

impl Store {
    pub(super) fn doc_key(&self, uid: &UserId) -> String {
        self.user_key(uid)
    }

    /// Part `part` of `target`'s index.
    pub(super) fn index_part_of(&self, target: &TargetKey, part: &str) -> String {
        self.index_part_key(target, part)
    }

    /// Where member `m` (`{uid}:{sid}`) of `target` is written: its index
    /// part and field; `None` for a member that names no entry.
    pub(super) fn index_entry_of(&self, target: &TargetKey, m: &str) -> Option<(String, Vec<u8>)> {
        let (uid, sid) = m.split_once(':')?;
        let uid = UserId::parse(uid).ok()?;
        let sid = SubscriptionId::parse(sid).ok()?;
        let part = index_entry::part_of(&uid).ok()?;
        Some((
            self.index_part_key(target, part),
            index_entry::field(&uid, &sid).ok()?,
        ))
    }

    pub(super) fn mode_key_of(&self, target: &TargetKey) -> String {
        self.mode_key(target)
    }

    pub(super) fn targets_key(&self) -> String {
        self.key("targets")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_by_their_tag() {
        let uid = UserId::parse("0123456789abcdef").unwrap();
        let d97 = TargetKey::parse("d:97").unwrap();
        for (key, what) in [
            ("rh:user:{0123456789abcdef}", Scanned::User(uid.clone())),
            ("rh:idx:{d:97}0", Scanned::Index(d97.clone(), "0")),
            ("rh:idx:{d:97}f", Scanned::Index(d97.clone(), "f")),
            // Layout 3's one hash per target, and no part past `f`.
            ("rh:idx:{d:97}", Scanned::Other),
            ("rh:idx:{d:97}g", Scanned::Other),
            ("rh:mode:{d:97}", Scanned::Mode(d97)),
            (
                "rh:hook:{0123456789abcdef}:s1a2b3c4d",
                Scanned::OfUser(uid.clone()),
            ),
            (
                "rh:held:{0123456789abcdef}:s1a2b3c4d",
                Scanned::OfUser(uid.clone()),
            ),
            ("rh:ver:{0123456789abcdef}", Scanned::OfUser(uid)),
            ("rh:tk:{12ab}", Scanned::TokenBucket),
            // Layout 3's email lookup: users are found by their uid now.
            ("rh:em:{12ab}", Scanned::Other),
            ("rh:poll:next", Scanned::Other),
            ("other:user:{0123456789abcdef}", Scanned::Other),
            // Layout 1's names (no tag, one key per lookup) are not this
            // layout's keys: `check` leaves them alone.
            ("rh:user:0123456789abcdef", Scanned::Other),
            ("rh:held:0123456789abcdef:s1a2b3c4d", Scanned::Other),
            ("rh:email:a@b.in", Scanned::Other),
            ("rh:tok:0a1b", Scanned::Other),
        ] {
            assert_eq!(classify("rh:", key), what, "{key}");
        }
    }

    #[test]
    fn the_scan_pattern_escapes_glob_characters() {
        assert_eq!(pattern("rh:"), "rh:*");
        assert_eq!(pattern("a*b?[c]:"), "a\\*b\\?\\[c\\]:*");
    }

    #[test]
    fn flags_compare_in_any_order() {
        assert!(same_flags("nd", "dn"));
        assert!(!same_flags("n", "dn"));
        assert!(same_flags("", ""));
    }
}
