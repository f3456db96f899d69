//! Every key name and stored value `check` reads or writes, in one place, so
//! a change of layout is adapted here and nowhere else in `check`.
//!
//! Names are built through the store's own key functions where the store has
//! one (`user_key`, `version_key`, `mode_key`, ...), so they follow the
//! layout the rest of the store writes. Scanned names are read back by
//! `classify`, which accepts a tag in braces or none (`user:{0123…}` and
//! `user:0123…`, `idx:{d:97}` and `idx:d:97`): layout 2 tags every key, and
//! the form without braces is layout 1's.
//!
//! The email and token lookups differ most between layouts: layout 1 has one
//! key per address (`email:{email}`, a string holding the uid) and per token
//! (`tok:{sha256}`, a hash with field `u`); layout 2 has bucketed hashes
//! (`em:{B}`: email -> uid; `tk:{B}`: binary token hash -> record). Both are
//! read; `email_lookup` (where a lookup is written) and `token_record_uid`
//! (the uid in a layout 2 token record) are what to adapt to the memory
//! layout's exact format.

use crate::store::Store;
use redis_hack_shared::{EmailAddress, Filters, Subscription, SubscriptionId, TargetKey, UserId};

/// What a scanned key is, from its name alone.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scanned {
    /// `user:`: a user's document.
    User(UserId),
    /// `idx:`: a target's fan-out index, `{uid}:{sid}` -> filters.
    Index(TargetKey),
    /// `mode:`: a target's per-subscription flags, `{uid}:{sid}` -> flags.
    Mode(TargetKey),
    /// `email:{email}` (layout 1): the string holds the uid.
    EmailKey(String),
    /// `em:{B}` (layout 2): a hash of email -> uid.
    EmailBucket,
    /// `tok:{hash}` (layout 1): a hash whose field `u` is the uid.
    TokenKey,
    /// `tk:{B}` (layout 2): a hash of token hash -> record (`token_record_uid`).
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
        "user" => UserId::parse(whole(rest)).map_or(Scanned::Other, Scanned::User),
        "idx" => target(whole(rest)).map_or(Scanned::Other, Scanned::Index),
        "mode" => target(whole(rest)).map_or(Scanned::Other, Scanned::Mode),
        "hist" | "ver" | "feed" => uid(whole(rest)),
        "hook" | "held" => uid(first(rest)),
        "email" => Scanned::EmailKey(rest.to_owned()),
        "em" => Scanned::EmailBucket,
        "tok" => Scanned::TokenKey,
        "tk" => Scanned::TokenBucket,
        _ => Scanned::Other,
    }
}

/// `{tag}` -> `tag`; an untagged name as it is.
fn whole(rest: &str) -> &str {
    rest.strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(rest)
}

/// The first part of `{uid}:sid` or `uid:sid`: the uid.
fn first(rest: &str) -> &str {
    match rest.strip_prefix('{') {
        Some(tagged) => tagged.split_once('}').map_or(tagged, |(tag, _)| tag),
        None => rest.split_once(':').map_or(rest, |(uid, _)| uid),
    }
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

/// What a subscription's index entry holds: its filters as JSON.
pub(super) fn index_value(filters: &Filters) -> String {
    serde_json::to_string(filters).unwrap_or_default()
}

/// The filters an index entry holds; `None` if they cannot be read.
pub(super) fn index_filters(value: &str) -> Option<Filters> {
    serde_json::from_str(value).ok()
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

/// The uid in a layout 2 token record (`tk:{B}` value): the record starts
/// with the uid's 16 hex digits. Adapt to the memory layout's record format.
pub(super) fn token_record_uid(record: &[u8]) -> Option<UserId> {
    let text = std::str::from_utf8(record.get(..16)?).ok()?;
    UserId::parse(text).ok()
}

/// Where the email lookup of one address is written.
pub(super) enum LookupAt {
    /// A string key holding the uid (layout 1).
    Key(String),
    /// A field of a bucket hash (layout 2).
    Field { key: String, field: String },
}

impl Store {
    pub(super) fn doc_key(&self, uid: &UserId) -> String {
        self.user_key(uid)
    }

    pub(super) fn index_key_of(&self, target: &TargetKey) -> String {
        self.index_key(target)
    }

    pub(super) fn mode_key_of(&self, target: &TargetKey) -> String {
        self.mode_key(target)
    }

    pub(super) fn targets_key(&self) -> String {
        self.key("targets")
    }

    /// Where the lookup of `email` is written: a field of its `em:{B}` bucket.
    pub(super) fn email_lookup(&self, email: &EmailAddress) -> LookupAt {
        LookupAt::Field {
            key: self.email_key(email),
            field: email.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_with_or_without_a_tag() {
        let uid = UserId::parse("0123456789abcdef").unwrap();
        let d97 = TargetKey::parse("d:97").unwrap();
        for (key, what) in [
            ("rh:user:{0123456789abcdef}", Scanned::User(uid.clone())),
            ("rh:user:0123456789abcdef", Scanned::User(uid.clone())),
            ("rh:idx:{d:97}", Scanned::Index(d97.clone())),
            ("rh:idx:d:97", Scanned::Index(d97.clone())),
            ("rh:mode:{d:97}", Scanned::Mode(d97)),
            (
                "rh:hook:{0123456789abcdef}:s1a2b3c4d",
                Scanned::OfUser(uid.clone()),
            ),
            (
                "rh:held:0123456789abcdef:s1a2b3c4d",
                Scanned::OfUser(uid.clone()),
            ),
            ("rh:ver:{0123456789abcdef}", Scanned::OfUser(uid)),
            ("rh:email:a@b.in", Scanned::EmailKey("a@b.in".into())),
            ("rh:em:{12ab}", Scanned::EmailBucket),
            ("rh:tk:{12ab}", Scanned::TokenBucket),
            ("rh:poll:next", Scanned::Other),
            ("other:user:0123456789abcdef", Scanned::Other),
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
