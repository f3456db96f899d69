//! The email lookup: `{p}em:{B}`, a hash of normalised email -> uid, one of
//! `LOOKUP_BUCKETS` buckets (B: five hex digits of the email's SHA-256).
//! A bucket holds ~8 addresses at 1M users and ~76 at 10M, under Redis's
//! `hash-max-listpack-entries` (128 in the sample redis.conf, 512 compiled
//! in), so every bucket stays a listpack: about 55 B per address against
//! 120 B for a string key each (BENCHMARKS.md "Storage"). An address longer
//! than `hash-max-listpack-value` (64 B) turns its one bucket into a
//! hashtable; that costs memory for that bucket only.
//!
//! Creating a user spans two slots (the user's and the bucket's), so the
//! writes are ordered (layout2): the document first, then the lookup. A crash
//! between them leaves a document nobody points at, which the next verify of
//! that address replaces with one the lookup names, and `check` reports.
//! Both writes wait for the replicas (`replication`) when configured.

use super::failpoint;
use super::users::UserDoc;
use super::{Store, StoreError, to_json};
use redis_hack_shared::{EmailAddress, UserId};
use sha2::{Digest, Sha256};

/// How many buckets the email and token lookups are split into (2^17).
pub(super) const LOOKUP_BUCKETS: u32 = 1 << 17;

/// The bucket of `bytes` (a digest): its first 17 bits, as five hex digits.
pub(super) fn bucket_of(digest: &[u8]) -> String {
    let head = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{:05x}", head >> (32 - LOOKUP_BUCKETS.trailing_zeros()))
}

impl Store {
    /// The uid for `email`, creating the user on first verification.
    pub async fn ensure_user(
        &self,
        email: &EmailAddress,
        new_uid: &UserId,
    ) -> Result<UserId, StoreError> {
        let doc = to_json("a user document", &UserDoc::new(email.clone()))?;
        if let Some(uid) = self.uid_by_email(email).await? {
            // Heals a lookup whose document is gone; NX leaves a live one alone.
            self.put_user_doc(&uid, &doc).await?;
            return Ok(uid);
        }
        self.put_user_doc(new_uid, &doc).await?;
        failpoint::hit("user-doc-written");
        let mut w = self.writer().await?;
        let key = self.email_key(email);
        let won: bool = redis::cmd("HSETNX")
            .arg(&key)
            .arg(email.as_str())
            .arg(new_uid.as_str())
            .query_async(w.conn())
            .await?;
        if won {
            w.replicated(&key).await;
            return Ok(new_uid.clone());
        }
        // A concurrent verify of the same address won. Our document is still
        // empty: nothing else knows its uid.
        let _: u32 = redis::cmd("DEL")
            .arg(self.user_key(new_uid))
            .query_async(w.conn())
            .await?;
        self.uid_by_email(email)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("the lookup of {email} vanished")))
    }

    /// The uid of the user with address `email`, if there is one.
    pub async fn uid_by_email(&self, email: &EmailAddress) -> Result<Option<UserId>, StoreError> {
        let known: Option<String> = redis::cmd("HGET")
            .arg(self.email_key(email))
            .arg(email.as_str())
            .query_async(&mut self.conn())
            .await?;
        known
            .map(|uid| {
                UserId::parse(&uid)
                    .map_err(|e| StoreError::Corrupt(format!("the uid of {email}: {e}")))
            })
            .transpose()
    }

    /// Writes a new user's document unless `uid` has one (JSON.SET NX),
    /// and waits for the replicas when it did.
    async fn put_user_doc(&self, uid: &UserId, doc: &str) -> Result<(), StoreError> {
        let (mut w, key) = (self.writer().await?, self.user_key(uid));
        let written: Option<String> = redis::cmd("JSON.SET")
            .arg(&key)
            .arg("$")
            .arg(doc)
            .arg("NX")
            .query_async(w.conn())
            .await?;
        if written.is_some() {
            w.replicated(&key).await;
        }
        Ok(())
    }

    /// The bucket holding `email`'s lookup.
    pub(super) fn email_key(&self, email: &EmailAddress) -> String {
        let digest = Sha256::digest(email.as_str().as_bytes());
        self.tagged("em", &bucket_of(&digest), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_five_hex_digits_below_the_bucket_count() {
        assert_eq!(bucket_of(&[0, 0, 0, 0]), "00000");
        assert_eq!(bucket_of(&[0xff, 0xff, 0xff, 0xff]), "1ffff");
        assert_eq!(bucket_of(&[0x80, 0, 0x80, 0]), "10001");
        let last = u32::from_str_radix(&bucket_of(&[0xff; 4]), 16).unwrap();
        assert_eq!(last, LOOKUP_BUCKETS - 1);
    }
}
