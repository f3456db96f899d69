//! The per-user version: `{p}ver:{UID}` (the user's tag group), a hash with `v` (a counter), `t`
//! (when it last changed, ms) and `p` (the change before that, ms). Every
//! write to something `list` shows (subscriptions, the history, webhook
//! state) bumps it in the same Lua step as the write itself, so `list` can
//! answer a conditional GET from this one small hash without opening the
//! user's document. The poll times `list` also shows do not bump it (that
//! would be a write per subscriber per poll): ARCHITECTURE.md says why.
//!
//! Times come from Redis's clock (`TIME`) and strictly increase per user, so
//! processes with drifting clocks cannot order two changes backwards; `p`
//! tells whether a second saw more than one change, which decides whether an
//! `If-Modified-Since` naming that second may be answered 304.

use super::{Store, StoreError};
use redis_hack_shared::UserId;
use std::sync::LazyLock;

/// A user's version as `list` uses it for its validators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// How many changes the user has seen (`v`).
    pub number: u64,
    /// When the last one happened, ms since the epoch on Redis's clock (`t`).
    pub at_ms: u64,
    /// When the one before happened (`p`; 0 if none).
    pub previous_ms: u64,
}

/// `bump(key)`: the Lua function every script that changes what `list` shows
/// calls after its write, with the user's `ver:` key (which it must declare
/// in KEYS, like every key it touches). Returns `{v, t, p}`.
pub(super) const BUMP_LUA: &str = r#"
local function bump(key)
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local last = tonumber(redis.call('HGET', key, 't')) or 0
  if ms <= last then ms = last + 1 end
  local v = redis.call('HINCRBY', key, 'v', 1)
  redis.call('HSET', key, 't', string.format('%d', ms), 'p', string.format('%d', last))
  return {v, ms, last}
end
"#;

static BUMP: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(&format!("{BUMP_LUA}\nreturn bump(KEYS[1])")));

impl Store {
    /// The user's version; `None` for a user nothing has bumped yet (a new
    /// account without subscriptions, or one made before versions existed).
    pub async fn version(&self, uid: &UserId) -> Result<Option<Version>, StoreError> {
        let (number, at_ms, previous_ms): (Option<u64>, Option<u64>, Option<u64>) =
            redis::cmd("HMGET")
                .arg(self.version_key(uid))
                .arg(&["v", "t", "p"])
                .query_async(&mut self.conn())
                .await?;
        Ok(number.zip(at_ms).map(|(number, at_ms)| Version {
            number,
            at_ms,
            previous_ms: previous_ms.unwrap_or(0),
        }))
    }

    /// Counts a change now and returns the new version. `list` calls it for a
    /// user without a version before it reads what it will show.
    pub async fn bump_version(&self, uid: &UserId) -> Result<Version, StoreError> {
        let (number, at_ms, previous_ms): (u64, u64, u64) = BUMP
            .key(self.version_key(uid))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(Version {
            number,
            at_ms,
            previous_ms,
        })
    }

    pub(super) fn version_key(&self, uid: &UserId) -> String {
        self.tagged("ver", uid.as_str(), "")
    }
}

/// Runs `pipe`, which invokes `scripts` by their SHA (EVALSHA), loading them
/// and running it once more if Redis does not know them yet (a fresh server,
/// or after SCRIPT FLUSH). Every command in such a pipeline must be safe to
/// repeat: a rerun repeats the commands that did succeed.
pub(super) async fn query_with_scripts<T: redis::FromRedisValue>(
    store: &Store,
    pipe: &redis::Pipeline,
    scripts: &[&redis::Script],
) -> Result<T, StoreError> {
    match pipe.query_async(&mut store.conn()).await {
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            for script in scripts {
                script
                    .prepare_invoke()
                    .load_async(&mut store.conn())
                    .await?;
            }
            Ok(pipe.query_async(&mut store.conn()).await?)
        }
        other => Ok(other?),
    }
}
