//! Bearer tokens: `{p}tk:{B}`, one of `LOOKUP_BUCKETS` hashes (B: five hex
//! digits of the token's SHA-256), whose field is the first 16 bytes of the
//! SHA-256 (raw, not hex) and whose value is packed: the uid's 8 bytes
//! (its 16 hex digits as binary), when it was issued (seconds, 4 bytes,
//! big-endian), its last use (ms, 6 bytes, big-endian), then the device
//! label (`pack_record`). Packed, a record is 18 B plus the label where the
//! same as text was 42 B plus the label (BENCHMARKS.md "Storage"). Sixteen bytes (128 bits) cannot collide among any number
//! of tokens this service will ever issue and cannot be searched for a
//! preimage, at half the bytes of the whole digest; a bucket holds ~8 tokens
//! at 1M users, ~76 at 10M, so it stays a listpack (`buckets` says why that
//! matters): ~70 B per token against ~230 B for a hash with its own TTL.
//!
//! A token lapses after `TOKEN_TTL` without use. Redis 7.0 has no expiry
//! per hash field, so lapsing is lazy: reading a lapsed token deletes it and
//! answers "no token", and issuing a token sweeps its bucket's lapsed ones
//! (each bucket sees a new token every few verifies). A use writes the last
//! use only when it moved by more than `slack` (TTL/8, at most a day): not a
//! write per request. So a token lapses between TTL and TTL + slack after
//! its last use, never before. A device label longer than fits the listpack
//! value limit (64 B with the rest, ~46 B of label) turns its bucket into a
//! hashtable, which costs memory for that bucket only.
//!
//! Tokens of a user whose document is gone lead nowhere: every route opens
//! the document and answers as for no user. Issuing and revoking a token
//! wait for the replicas (`replication`) when configured: a sign-out that a
//! failover undid would leave a token working that its owner believes dead.

use super::buckets::bucket_of;
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
if tonumber(ARGV[2]) - last_use(record) > tonumber(ARGV[4]) then
  local now = struct.pack('>I6', tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], ARGV[1], string.sub(record, 1, 12) .. now .. string.sub(record, 19))
end
return string.sub(record, 1, 8)
"#
    ))
});

/// `lapsed(record, now, limit)`: whether a token record's last use is more
/// than `limit` ms before `now` (a record too short to hold one counts as
/// lapsed); `last_use(record)`: that last use (ms), as `pack_record` packs it.
const LAPSED_LUA: &str = r#"
local function last_use(record)
  return (struct.unpack('>I6', record, 13))
end
local function lapsed(record, now, limit)
  return #record < 18 or tonumber(now) - last_use(record) > tonumber(limit)
end
"#;

/// A token's record as its bucket stores it: uid (8 bytes), issued (s,
/// u32), last use (ms, u48), device label; all big-endian. `uid`'s record, issued and last used at `now_ms`; `None` for a uid
/// that is not 16 hex digits (the server makes no other).
fn pack_record(uid: &UserId, now_ms: u64, device: &str) -> Option<Vec<u8>> {
    let uid = hex::decode(uid.as_str()).ok().filter(|b| b.len() == 8)?;
    let issued = u32::try_from(now_ms / 1000).ok()?;
    let mut record = uid;
    record.extend_from_slice(&issued.to_be_bytes());
    record.extend_from_slice(&now_ms.to_be_bytes()[2..]);
    record.extend_from_slice(device.as_bytes());
    Some(record)
}

/// The uid at the head of a token record (`None` for a record too short).
pub(super) fn record_uid(record: &[u8]) -> Option<UserId> {
    let head = record.get(..8).filter(|_| record.len() >= 18)?;
    UserId::parse(&hex::encode(head)).ok()
}

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
        let record = pack_record(uid, now, device).ok_or_else(|| {
            StoreError::Corrupt(format!("a token for uid '{uid}', not 16 hex digits"))
        })?;
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
        let uid: Option<Vec<u8>> = USE
            .key(key)
            .arg(field)
            .arg(now_ms())
            .arg(limit_ms(ttl))
            .arg(slack_ms(ttl))
            .invoke_async(&mut self.conn())
            .await?;
        uid.map(|head| match UserId::parse(&hex::encode(&head)) {
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

    #[test]
    fn a_record_packs_into_18_bytes_and_its_label_and_gives_its_uid_back() {
        let uid = UserId::parse("0123456789abcdef").unwrap();
        let record = pack_record(&uid, 1_764_690_000_123, "laptop").unwrap();
        assert_eq!(record.len(), 18 + "laptop".len());
        assert_eq!(
            &record[..8],
            &[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
        assert_eq!(&record[8..12], &1_764_690_000u32.to_be_bytes());
        assert_eq!(&record[12..18], &1_764_690_000_123u64.to_be_bytes()[2..]);
        assert_eq!(record_uid(&record).unwrap(), uid);
        assert!(
            record_uid(&record[..17]).is_none(),
            "too short to hold a last use"
        );
        let not_hex = UserId::parse("alice").unwrap();
        assert!(pack_record(&not_hex, 1, "x").is_none());
    }
}
