//! Bounce suppression: a user's email channel suspended after the mail
//! server refused the address for good (a 5xx reply to RCPT or DATA). It is
//! kept in the user's document (`es`: `{"r": the server's reply, "t": since
//! (ms)}`), which the email worker and `list` read anyway, so checking it
//! costs no extra round trip. Suspending and clearing bump the user's
//! version in the same Lua step (`list` shows it).

use super::version::BUMP_LUA;
use super::{Store, StoreError, UserDoc, to_json};
use redis_hack_shared::{EmailSuspension, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// A suspension as the user document stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSuspension {
    #[serde(rename = "r")]
    reason: String,
    #[serde(rename = "t")]
    since_ms: u64,
}

impl UserDoc {
    /// Why and since when alert emails to this user are suspended, if they are.
    pub fn email_suspension(&self) -> Option<EmailSuspension> {
        self.email_suspended.as_ref().map(|s| EmailSuspension {
            reason: s.reason.clone(),
            since: Timestamp::from_ms(s.since_ms),
        })
    }
}

// Suspends once: a second refusal (another worker's job in flight) keeps the
// first reason and answers 0, so only one `email.suspended` event goes out.
static SUSPEND: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #redis.call('JSON.TYPE', KEYS[1], '$.es') > 0 then return 0 end
redis.call('JSON.SET', KEYS[1], '$.es', ARGV[1])
bump(KEYS[2])
return 1
"#
    ))
});

static CLEAR: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('JSON.DEL', KEYS[1], '$.es') == 0 then return 0 end
bump(KEYS[2])
return 1
"#
    ))
});

impl Store {
    /// Suspends the user's alert emails for `reason` (the server's reply);
    /// true if this call suspended them, false if they already were (or the
    /// user is gone).
    pub async fn suspend_email(
        &self,
        uid: &UserId,
        reason: &str,
        since_ms: u64,
    ) -> Result<bool, StoreError> {
        let stored = StoredSuspension {
            reason: reason.chars().take(500).collect(),
            since_ms,
        };
        let done: i64 = SUSPEND
            .key(self.user_key(uid))
            .key(self.version_key(uid))
            .arg(to_json("a suspension", &stored)?)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(done == 1)
    }

    /// Lifts a suspension (the address was verified again); true if there
    /// was one. Waits for the replicas (`replication`), as the verify's other
    /// writes do; a suspension does not (a lost one comes back with the
    /// next bounce).
    pub async fn clear_email_suspension(&self, uid: &UserId) -> Result<bool, StoreError> {
        let mut w = self.writer().await?;
        let done: i64 = CLEAR
            .key(self.user_key(uid))
            .key(self.version_key(uid))
            .invoke_async(w.conn())
            .await?;
        if done == 1 {
            w.replicated(&self.user_key(uid)).await;
        }
        Ok(done == 1)
    }
}
