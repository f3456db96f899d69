//! Bearer tokens: `{p}tok:{sha256(token)}`, a hash with the uid (`u`), the
//! device (`d`) and when it was issued (`c`, s). A token lapses after
//! `TOKEN_TTL` without use: every read pushes its expiry out again, in the
//! same round trip.

use super::{Store, StoreError, now_ms};
use redis::AsyncCommands;
use redis_hack_shared::UserId;
use std::time::Duration;

/// Who a bearer token belongs to.
pub struct TokenInfo {
    pub uid: UserId,
}

impl Store {
    /// Stores a new token for `uid`, lapsing after `ttl` without use.
    pub async fn put_token(
        &self,
        token_hash: &str,
        uid: &UserId,
        device: &str,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let key = self.token_key(token_hash);
        let fields = [
            ("u", uid.to_string()),
            ("d", device.to_owned()),
            ("c", (now_ms() / 1000).to_string()),
        ];
        let () = redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .pexpire(&key, ttl_ms(ttl))
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The token's user, if the token is live; using it keeps it live for
    /// another `ttl`.
    pub async fn token(
        &self,
        token_hash: &str,
        ttl: Duration,
    ) -> Result<Option<TokenInfo>, StoreError> {
        let key = self.token_key(token_hash);
        let (uid,): (Option<String>,) = redis::pipe()
            .hget(&key, "u")
            .pexpire(&key, ttl_ms(ttl))
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        uid.map(|uid| match UserId::parse(&uid) {
            Ok(uid) => Ok(TokenInfo { uid }),
            Err(e) => Err(StoreError::Corrupt(format!("a token's user: {e}"))),
        })
        .transpose()
    }

    pub async fn delete_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let _: u32 = self.conn().del(self.token_key(token_hash)).await?;
        Ok(())
    }

    fn token_key(&self, hash: &str) -> String {
        self.key(&format!("tok:{hash}"))
    }
}

/// A TTL in ms for PEXPIRE: at least 1 (0 would delete the key).
fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}
