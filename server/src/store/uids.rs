//! A user's uid is a function of their address: the first 8 bytes of
//! SHA-256(`redis-hack uid\0{probe}\0{normalised email}`) as 16 hex digits,
//! for probe 0 to 3 (`uid_at`). So no key maps an address to its user:
//! finding the user of an address reads `$.e` of `{p}user:{uid}` at its
//! probe uids, and creating one is ONE write on one slot, the document
//! itself. Layout 3 kept an email lookup for this (`{p}em:{B}`, a bucketed
//! hash email -> uid): ~54 B per user at 1M (BENCHMARKS.md "Storage"), and a
//! second write on another slot, which a crash could leave undone.
//!
//! A uid can be worked out from an address. That is fine: a uid is not a
//! secret (it names a user in index members and queued jobs, and grants
//! nothing); the bearer token is, and it stays random (`tokens`).
//!
//! Two addresses whose probe-0 uids collide (64 bits: about one chance in
//! 40 million at 1M users) are told apart by `$.e`: the later one takes
//! probe 1, and so on; with all four taken by other addresses there is no
//! uid (`StoreError::NoFreeUid`). Probing relies on users never being
//! deleted: `uid_by_email` stops at the first probe without a document,
//! which would hide a user at a later probe if an earlier one's document
//! could go away. The formula is part of the layout: changing it loses every
//! user (`check` reports a user whose address does not lead to it).

use super::users::UserDoc;
use super::{Store, StoreError, to_json};
use redis_hack_shared::{EmailAddress, UserId};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// How many uids one address may take, tried in this order.
pub(super) const PROBES: u8 = 4;

// The address of the user document KEYS[1] (`JSON.GET $.e`: `["a@b.in"]`),
// or, when there is none, writes ARGV[1] as the document and answers false.
// One step, so two verifies of one new address at once make one user.
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
local e = redis.call('JSON.GET', KEYS[1], '$.e')
if e then return e end
redis.call('JSON.SET', KEYS[1], '$', ARGV[1])
return false
"#,
    )
});

/// The uid of `email` at `probe`.
pub(super) fn uid_at(email: &EmailAddress, probe: u8) -> UserId {
    let seed = format!("redis-hack uid\0{probe}\0{}", email.as_str());
    let digest = Sha256::digest(seed.as_bytes());
    UserId::parse(&hex::encode(&digest[..8])).expect("16 hex digits make a user id")
}

/// Every uid `email` may have, in the order they are tried.
pub(super) fn probe_uids(email: &EmailAddress) -> impl Iterator<Item = UserId> + '_ {
    (0..PROBES).map(move |probe| uid_at(email, probe))
}

/// The address in user `uid`'s `JSON.GET $.e` answer (`["a@b.in"]`).
fn address_in(uid: &UserId, raw: &str) -> Result<String, StoreError> {
    let found: Vec<String> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("the address of user {uid}: {e}")))?;
    found
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt(format!("user {uid} has no address")))
}

impl Store {
    /// The uid for `email`, creating the user on first verification: the
    /// first of its probe uids whose document holds this address, or holds
    /// nothing (the new document is written there, and waits for the
    /// replicas, `replication`, when configured).
    pub async fn ensure_user(&self, email: &EmailAddress) -> Result<UserId, StoreError> {
        let doc = to_json("a user document", &UserDoc::new(email.clone()))?;
        for uid in probe_uids(email) {
            let (mut w, key) = (self.writer().await?, self.user_key(&uid));
            let held: Option<String> = CLAIM.key(&key).arg(&doc).invoke_async(w.conn()).await?;
            match held {
                None => {
                    w.replicated(&key).await;
                    return Ok(uid);
                }
                Some(raw) if address_in(&uid, &raw)? == email.as_str() => return Ok(uid),
                Some(_) => {} // another address's uid too: the next probe
            }
        }
        Err(StoreError::NoFreeUid(email.masked()))
    }

    /// The uid of the user with address `email`, if there is one.
    pub async fn uid_by_email(&self, email: &EmailAddress) -> Result<Option<UserId>, StoreError> {
        for uid in probe_uids(email) {
            let raw: Option<String> = redis::cmd("JSON.GET")
                .arg(self.user_key(&uid))
                .arg("$.e")
                .query_async(&mut self.conn())
                .await?;
            match raw {
                // Users are never deleted, so no later probe holds this one.
                None => return Ok(None),
                Some(raw) if address_in(&uid, &raw)? == email.as_str() => return Ok(Some(uid)),
                Some(_) => {}
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_has_four_fixed_uids() {
        let email = EmailAddress::parse(" A@Example.com").unwrap();
        let uids: Vec<String> = probe_uids(&email).map(String::from).collect();
        // Fixed: stored users are found by these (the formula is the layout).
        assert_eq!(
            uids,
            [
                "b9a6fd6263d33cd2",
                "964538be86e5e820",
                "1605d583f089b3d2",
                "28dc05abc94d5f9e"
            ]
        );
        let other = EmailAddress::parse("b@example.com").unwrap();
        assert_ne!(uid_at(&other, 0), uid_at(&email, 0));
    }

    #[test]
    fn the_address_is_read_from_a_json_path_answer() {
        let uid = UserId::parse("0123456789abcdef").unwrap();
        assert_eq!(address_in(&uid, r#"["a@b.in"]"#).unwrap(), "a@b.in");
        assert!(matches!(
            address_in(&uid, "[]"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(address_in(&uid, "[1]").is_err());
    }
}
