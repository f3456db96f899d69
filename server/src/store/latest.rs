//! What `slots` shows: `{p}latest:{TARGET}`, a hash with the open sessions
//! of the last fetch (`b`, JSON) and when the target was last checked (`t`,
//! ms), kept as long as what was seen.

use super::poll::SEEN_TTL_SECS;
use super::{Store, StoreError, to_json};
use redis_hack_shared::{Session, TargetKey};

/// A target's latest fetch, as `slots` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latest {
    /// The sessions that were open (none when never fetched).
    pub sessions: Vec<Session>,
    /// When the target was last checked, ms.
    pub checked_at: Option<u64>,
}

impl Store {
    /// Remembers a check of `target` at `checked_ms`, and the sessions open
    /// then when it brought fresh data (`None`: unchanged, a 304).
    pub async fn set_latest(
        &self,
        target: &TargetKey,
        open: Option<&[&Session]>,
        checked_ms: u64,
    ) -> Result<(), StoreError> {
        let key = self.latest_key(target);
        let mut pipe = redis::pipe();
        pipe.atomic().hset(&key, "t", checked_ms).ignore();
        if let Some(sessions) = open {
            pipe.hset(&key, "b", to_json("open sessions", &sessions)?)
                .ignore();
        }
        let () = pipe
            .expire(&key, SEEN_TTL_SECS)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The latest fetch of `target`; sessions this version cannot read show
    /// as none (the next fetch replaces them).
    pub async fn latest(&self, target: &TargetKey) -> Result<Latest, StoreError> {
        let (body, checked_at): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(self.latest_key(target))
            .arg("b")
            .arg("t")
            .query_async(&mut self.conn())
            .await?;
        let sessions = body
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_default();
        Ok(Latest {
            sessions,
            checked_at,
        })
    }

    fn latest_key(&self, target: &TargetKey) -> String {
        self.tagged("latest", &target.to_string(), "")
    }
}
