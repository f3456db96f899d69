//! The per-user version: the field `v` of the user's document
//! (`{p}user:{uid}`), one JSON integer `2 * t + c`: `t` is when the user's
//! data last changed (ms) and `c` is 1 when the change before it fell in the
//! same second (so that second saw more than one version). Every write to
//! something `list` shows (subscriptions, the history, webhook state) bumps
//! it in the same Lua step as the write itself, so `list` can answer a
//! conditional GET from this one field without reading the document. The
//! poll times `list` also shows do not bump it (that would be a write per
//! subscriber per poll): ARCHITECTURE.md says why.
//!
//! It lives in the document because a key of its own cost ~110 B per user
//! (a hash); one number because RedisJSON keeps a large number in 16 B where
//! a distinct string costs ~48 B plus its entry in the module's table of
//! strings (BENCHMARKS.md "Storage"). No counter is needed: `t` strictly
//! increases per user, so it names the version on its own (the ETag). A
//! user without a document has no version, and `bump` leaves it so.
//!
//! Times come from Redis's clock (`TIME`) and strictly increase per user, so
//! processes with drifting clocks cannot order two changes backwards; `c`
//! tells whether a second saw more than one change, which decides whether an
//! `If-Modified-Since` naming that second may be answered 304. `2 * t` is
//! ~3.5e12, far inside the 2^53 that Lua's numbers and JSON hold exactly.

use super::{Store, StoreError};
use redis_hack_shared::UserId;
use std::sync::LazyLock;

/// A user's version as `list` uses it for its validators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// When the last change happened, ms since the epoch on Redis's clock
    /// (`t`); strictly increasing per user, so it identifies the version.
    pub at_ms: u64,
    /// Whether the change before it happened in the same second (`c`).
    pub crowded: bool,
}

impl Version {
    /// As stored in `v`: `2 * at_ms + crowded`.
    fn from_stored(v: u64) -> Self {
        Self {
            at_ms: v / 2,
            crowded: v % 2 == 1,
        }
    }
}

/// `bump(key)`: the Lua function every script that changes what `list` shows
/// calls after its write, with the user's version key (`version_key`: the
/// user's document, which it must declare in KEYS, like every key it
/// touches). Returns the new `v` (`2 * t + c`); 0 and no write when the user
/// has no document.
pub(super) const BUMP_LUA: &str = r#"
local function bump(key)
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local raw = redis.call('JSON.GET', key, '$.v')
  if not raw then return 0 end
  local last = 0
  local cur = cjson.decode(raw)[1]
  if type(cur) == 'number' then last = math.floor(cur / 2) end
  if ms <= last then ms = last + 1 end
  local crowded = 0
  if math.floor(ms / 1000) == math.floor(last / 1000) then crowded = 1 end
  local v = ms * 2 + crowded
  redis.call('JSON.SET', key, '$.v', string.format('%d', v))
  return v
end
"#;

static BUMP: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(&format!("{BUMP_LUA}\nreturn bump(KEYS[1])")));

impl Store {
    /// The user's version; `None` for a user nothing has bumped yet (a new
    /// account without subscriptions, or one made before versions existed).
    pub async fn version(&self, uid: &UserId) -> Result<Option<Version>, StoreError> {
        let raw: Option<String> = redis::cmd("JSON.GET")
            .arg(self.version_key(uid))
            .arg("$.v")
            .query_async(&mut self.conn())
            .await?;
        let found: Vec<u64> = match raw {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| StoreError::Corrupt(format!("the version of {uid} ({raw}): {e}")))?,
            None => Vec::new(),
        };
        Ok(found.first().copied().map(Version::from_stored))
    }

    /// Counts a change now and returns the new version. `list` calls it for a
    /// user without a version before it reads what it will show.
    pub async fn bump_version(&self, uid: &UserId) -> Result<Version, StoreError> {
        let v: u64 = BUMP
            .key(self.version_key(uid))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(Version::from_stored(v))
    }

    /// Where the user's version lives: the user's document.
    pub(super) fn version_key(&self, uid: &UserId) -> String {
        self.user_key(uid)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_reads_back_as_bump_writes_it() {
        let at_ms = 1_733_130_000_123;
        let alone = Version::from_stored(2 * at_ms);
        assert_eq!((alone.at_ms, alone.crowded), (at_ms, false));
        let crowded = Version::from_stored(2 * at_ms + 1);
        assert_eq!((crowded.at_ms, crowded.crowded), (at_ms, true));
    }
}
