//! The per-user version: the field `v` of the user's document
//! (`{p}user:{uid}`), a string `"{v}.{t}.{p}"`: a counter, when it last
//! changed (ms) and the change before that (ms; 0 if none). Every write to
//! something `list` shows (subscriptions, the history, webhook state) bumps
//! it in the same Lua step as the write itself, so `list` can answer a
//! conditional GET from this one field without reading the document. The
//! poll times `list` also shows do not bump it (that would be a write per
//! subscriber per poll): ARCHITECTURE.md says why.
//!
//! It lives in the document because a key of its own cost ~110 B per user
//! (a hash) where one more string in the document costs ~48 B; one string
//! rather than three numbers because RedisJSON allocates each large number
//! on its own (BENCHMARKS.md "Storage"). A user without a document has no
//! version, and `bump` leaves it so.
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
/// calls after its write, with the user's version key (`version_key`: the
/// user's document, which it must declare in KEYS, like every key it
/// touches). Returns `{v, t, p}`; `{0, 0, 0}` and no write when the user has
/// no document.
pub(super) const BUMP_LUA: &str = r#"
local function bump(key)
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local raw = redis.call('JSON.GET', key, '$.v')
  if not raw then return {0, 0, 0} end
  local v, last = 0, 0
  local cur = cjson.decode(raw)[1]
  if type(cur) == 'string' then
    local a, b = string.match(cur, '^(%d+)%.(%d+)')
    v, last = tonumber(a) or 0, tonumber(b) or 0
  end
  if ms <= last then ms = last + 1 end
  v = v + 1
  redis.call('JSON.SET', key, '$.v', string.format('"%d.%d.%d"', v, ms, last))
  return {v, ms, last}
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
        let found: Vec<String> = match raw {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| StoreError::Corrupt(format!("the version of {uid}: {e}")))?,
            None => Vec::new(),
        };
        found
            .first()
            .map(|v| {
                parse_version(v)
                    .ok_or_else(|| StoreError::Corrupt(format!("the version of {uid}: '{v}'")))
            })
            .transpose()
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

    /// Where the user's version lives: the user's document.
    pub(super) fn version_key(&self, uid: &UserId) -> String {
        self.user_key(uid)
    }
}

/// `"{v}.{t}.{p}"` as `bump` writes it.
fn parse_version(raw: &str) -> Option<Version> {
    let mut parts = raw.splitn(3, '.').map(str::parse::<u64>);
    let (Some(Ok(number)), Some(Ok(at_ms)), Some(Ok(previous_ms))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(Version {
        number,
        at_ms,
        previous_ms,
    })
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
        assert_eq!(
            parse_version("3.1733130000123.1733130000000"),
            Some(Version {
                number: 3,
                at_ms: 1_733_130_000_123,
                previous_ms: 1_733_130_000_000,
            })
        );
        assert_eq!(parse_version("3.17"), None);
        assert_eq!(parse_version("x.1.2"), None);
    }
}
