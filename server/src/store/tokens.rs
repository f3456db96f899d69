//! Bearer tokens: `{p}tk:{B}`, one of `LOOKUP_BUCKETS` hashes (B: five hex
//! digits of the token's SHA-256), whose field is the first 16 bytes of the
//! SHA-256 (raw, not hex) and whose value is `"{uid} {issued s} {last use
//! ms} {device}"`. Sixteen bytes (128 bits) cannot collide among any number
//! of tokens this service will ever issue and cannot be searched for a
//! preimage, at half the bytes of the whole digest; a bucket holds ~8 tokens
//! at 1M users, ~76 at 10M, so it stays a listpack (`lookups` says why that
//! matters): ~70 B per token against ~230 B for a hash with its own TTL.
//!
//! A token lapses after `TOKEN_TTL` without use. Redis 7.0 has no expiry
//! per hash field, so lapsing is lazy: reading a lapsed token deletes it and
//! answers "no token", and issuing a token sweeps its bucket's lapsed ones
//! (each bucket sees a new token every few verifies). A use writes the last
//! use only when it moved by more than `slack` (TTL/8, at most a day): not a
//! write per request. So a token lapses between TTL and TTL + slack after
//! its last use, never before. A device label longer than fits the listpack
//! value limit (64 B with the rest, ~22 B of label) turns its bucket into a
//! hashtable, which costs memory for that bucket only.
//!
//! Tokens of a user whose document is gone lead nowhere: every route opens
//! the document and answers as for no user. Issuing and revoking a token
//! wait for the replicas (`replication`) when configured: a sign-out that a
//! failover undid would leave a token working that its owner believes dead.

use super::lookups::bucket_of;
use super::{Store, StoreError, now_ms};
use redis_hack_shared::UserId;
use std::sync::LazyLock;
use std::time::Duration;

/// Who a bearer token belongs to.
pub struct TokenInfo {
    pub uid: UserId,
}

// ARGV: field, record, now (ms), ttl + slack (ms). Stores the token and
// drops its bucket's lapsed tokens.
static PUT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{LAPSED_LUA}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if lapsed(all[i + 1], ARGV[3], ARGV[4]) then redis.call('HDEL', KEYS[1], all[i]) end
end
return 1
"#
    ))
});

// ARGV: field, now (ms), ttl + slack (ms), slack (ms). The token's uid, or
// false (deleting a lapsed token); a use more than `slack` after the last
// one recorded is recorded.
static USE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{LAPSED_LUA}
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not record then return false end
if lapsed(record, ARGV[2], ARGV[3]) then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return false
end
local uid, issued, last, device = string.match(record, '^(%S+) (%d+) (%d+) (.*)$')
if tonumber(ARGV[2]) - tonumber(last) > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], ARGV[1], uid .. ' ' .. issued .. ' ' .. ARGV[2] .. ' ' .. device)
end
return uid
"#
    ))
});

/// `lapsed(record, now, limit)`: whether a token record's last use is more
/// than `limit` ms before `now` (an unreadable record counts as lapsed).
const LAPSED_LUA: &str = r#"
local function lapsed(record, now, limit)
  local last = string.match(record, '^%S+ %d+ (%d+) ')
  return not last or tonumber(now) - tonumber(last) > tonumber(limit)
end
"#;

impl Store {
    /// Stores a new token (`token_hash`: the token's SHA-256 in hex) for
    /// `uid`, lapsing after `ttl` without use.
    pub async fn put_token(
        &self,
        token_hash: &str,
        uid: &UserId,
        device: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let (key, field) = self.token_slot(token_hash)?;
        let now = now_ms();
        let record = format!("{uid} {} {now} {device}", now / 1000);
        let mut w = self.writer().await?;
        let _: i64 = PUT
            .key(&key)
            .arg(field)
            .arg(record)
            .arg(now)
            .arg(limit_ms(ttl))
            .invoke_async(w.conn())
            .await?;
        w.replicated(&key).await;
        Ok(())
    }

    /// The token's user, if the token is live; a use keeps it live for
    /// another `ttl` (see the module's header for the slack).
    pub async fn token(
        &self,
        token_hash: &str,
        ttl: Duration,
    ) -> Result<Option<TokenInfo>, StoreError> {
        let (key, field) = self.token_slot(token_hash)?;
        let uid: Option<String> = USE
            .key(key)
            .arg(field)
            .arg(now_ms())
            .arg(limit_ms(ttl))
            .arg(slack_ms(ttl))
            .invoke_async(&mut self.conn())
            .await?;
        uid.map(|uid| match UserId::parse(&uid) {
            Ok(uid) => Ok(TokenInfo { uid }),
            Err(e) => Err(StoreError::Corrupt(format!("a token's user: {e}"))),
        })
        .transpose()
    }

    pub async fn delete_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let (key, field) = self.token_slot(token_hash)?;
        let mut w = self.writer().await?;
        let deleted: u32 = redis::cmd("HDEL")
            .arg(&key)
            .arg(field)
            .query_async(w.conn())
            .await?;
        if deleted > 0 {
            w.replicated(&key).await;
        }
        Ok(())
    }

    /// The bucket key and field of a token by its SHA-256 in hex.
    pub(super) fn token_slot(&self, token_hash: &str) -> Result<(String, Vec<u8>), StoreError> {
        let digest = hex::decode(token_hash)
            .ok()
            .filter(|d| d.len() >= 16)
            .ok_or_else(|| StoreError::Corrupt("a token hash that is not SHA-256 hex".into()))?;
        let field = digest[..16].to_vec();
        Ok((self.tagged("tk", &bucket_of(&field), ""), field))
    }
}

/// How far a use may be from the recorded last use before it is recorded:
/// an eighth of the TTL, at most a day, at least 1 ms.
fn slack_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() / 8).clamp(1, 86_400_000) as u64
}

/// How long after the recorded last use a token lapses: TTL + slack.
fn limit_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).saturating_add(slack_ms(ttl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slack_is_an_eighth_of_the_ttl_and_at_most_a_day() {
        assert_eq!(slack_ms(Duration::from_secs(2)), 250);
        assert_eq!(slack_ms(Duration::from_secs(90 * 86_400)), 86_400_000);
        assert_eq!(slack_ms(Duration::from_millis(1)), 1);
        assert_eq!(limit_ms(Duration::from_secs(2)), 2_250);
    }
}
