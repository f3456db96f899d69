//! One-time codes: `{p}otp:{EMAIL}` (the address's tag group), a hash holding the code's salted SHA-256
//! (`h`, salt `s`), the attempts so far (`n`, and `n:{client}` per client, so
//! one client's wrong guesses use up only its own share), and the district
//! asked for at registration (`d`, the resolved target as JSON), expiring with
//! the code.

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

/// The stored code and how many attempts (this one included) were made, in
/// all and by this client.
pub struct OtpCheck {
    pub attempts: u32,
    /// This client's attempts; above its share, the attempt was not counted
    /// (in `attempts` either) and must be refused.
    pub client_attempts: u32,
    pub record: OtpRecord,
}

// Counting the attempt before comparing makes the limit hold under
// concurrent guesses; a missing key stays missing (no hash without expiry).
// A client past its share (ARGV[2]) adds nothing to the total, so it cannot
// use up the attempts of the code's owner.
static COUNT_ATTEMPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local f = 'n:' .. ARGV[1]
local mine = tonumber(redis.call('HGET', KEYS[1], f) or '0')
local n
if mine < tonumber(ARGV[2]) then
  mine = redis.call('HINCRBY', KEYS[1], f, 1)
  n = redis.call('HINCRBY', KEYS[1], 'n', 1)
else
  mine = mine + 1
  n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
end
local v = redis.call('HMGET', KEYS[1], 'h', 's', 'd')
return {n, mine, v[1] or '', v[2] or '', v[3] or ''}
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

    /// Counts an attempt by `client` (at most `client_share` are counted per
    /// client) and returns the stored code, or `None` when there is no live
    /// code for `email`.
    pub async fn count_otp_attempt(
        &self,
        email: &EmailAddress,
        client: &str,
        client_share: u32,
    ) -> Result<Option<OtpCheck>, StoreError> {
        let reply: Option<(u32, u32, String, String, String)> = COUNT_ATTEMPT
            .key(self.otp_key(email))
            .arg(client)
            .arg(client_share)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(
            reply.map(|(attempts, client_attempts, hash, salt, d)| OtpCheck {
                attempts,
                client_attempts,
                record: OtpRecord {
                    hash,
                    salt,
                    target: serde_json::from_str(&d).ok(),
                },
            }),
        )
    }

    /// Deletes the code; true when this call removed it (so a code is used once).
    pub async fn take_otp(&self, email: &EmailAddress) -> Result<bool, StoreError> {
        let removed: u32 = self.conn().del(self.otp_key(email)).await?;
        Ok(removed == 1)
    }

    fn otp_key(&self, email: &EmailAddress) -> String {
        self.tagged("otp", email.as_str(), "")
    }
}
