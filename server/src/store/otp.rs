//! One-time codes: `{p}otp:{email}`, a hash holding the code's salted SHA-256
//! (`h`, salt `s`), the attempts so far (`n`) and the district asked for at
//! registration (`d`, the resolved target as JSON), expiring with the code.

use super::{Store, StoreError, to_json};
use redis::AsyncCommands;
use redis_hack_shared::{EmailAddress, Target};
use std::sync::LazyLock;

/// What `register` stores for a code; the code itself is never stored.
pub struct OtpRecord {
    pub hash: String,
    pub salt: String,
    /// The district to watch once verified.
    pub target: Option<Target>,
}

/// The stored code and how many attempts (this one included) were made.
pub struct OtpCheck {
    pub attempts: u32,
    pub record: OtpRecord,
}

// Counting the attempt before comparing makes the limit hold under
// concurrent guesses; a missing key stays missing (no hash without expiry).
static COUNT_ATTEMPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local v = redis.call('HMGET', KEYS[1], 'h', 's', 'd')
return {n, v[1] or '', v[2] or '', v[3] or ''}
"#,
    )
});

impl Store {
    /// Stores a new code for `email`, replacing any earlier one.
    pub async fn put_otp(
        &self,
        email: &EmailAddress,
        record: &OtpRecord,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let key = self.otp_key(email);
        let district = match &record.target {
            Some(t) => to_json("the registered target", t)?,
            None => String::new(),
        };
        let () = redis::pipe()
            .atomic()
            .del(&key)
            .ignore()
            .hset_multiple(
                &key,
                &[
                    ("h", record.hash.as_str()),
                    ("s", record.salt.as_str()),
                    ("d", district.as_str()),
                ],
            )
            .ignore()
            .hset(&key, "n", 0)
            .ignore()
            .expire(&key, ttl_secs as i64)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Counts an attempt and returns the stored code, or `None` when there is
    /// no live code for `email`.
    pub async fn count_otp_attempt(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<OtpCheck>, StoreError> {
        let reply: Option<(u32, String, String, String)> = COUNT_ATTEMPT
            .key(self.otp_key(email))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(reply.map(|(attempts, hash, salt, d)| OtpCheck {
            attempts,
            record: OtpRecord {
                hash,
                salt,
                target: serde_json::from_str(&d).ok(),
            },
        }))
    }

    /// Deletes the code; true when this call removed it (so a code is used once).
    pub async fn take_otp(&self, email: &EmailAddress) -> Result<bool, StoreError> {
        let removed: u32 = self.conn().del(self.otp_key(email)).await?;
        Ok(removed == 1)
    }

    fn otp_key(&self, email: &EmailAddress) -> String {
        self.key(&format!("otp:{email}"))
    }
}
