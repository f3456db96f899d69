//! Per-user alert history: `{p}hist:{UID}`, a hash with `{sid}:m` (last time
//! an opening matched the subscription) and `{sid}:a` (last alert the SMTP
//! server accepted for it), in ms. Read by `list` (`listing`) to answer "why no alert?".
//! Each write bumps the user's version (`version`) in the same step.

use super::version::BUMP_LUA;
use super::{Store, StoreError};
use redis_hack_shared::{SubscriptionId, UserId};
use std::collections::HashMap;
use std::sync::LazyLock;

// KEYS: hist, ver. ARGV: the time, then the fields to set to it.
static RECORD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        r#"{BUMP_LUA}
for i = 2, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], ARGV[1]) end
bump(KEYS[2])
return 1
"#
    ))
});

/// Which moment to record.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    Matched,
    Alerted,
}

impl Moment {
    fn suffix(self) -> &'static str {
        match self {
            Moment::Matched => "m",
            Moment::Alerted => "a",
        }
    }
}

/// One subscription's recorded moments, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moments {
    pub matched: Option<u64>,
    pub alerted: Option<u64>,
}

impl Store {
    pub async fn record(
        &self,
        uid: &UserId,
        sids: &[SubscriptionId],
        moment: Moment,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        self.record_many(&[(uid, sids)], moment, at_ms).await
    }

    /// `record` for many users at once, 1,000 at a time (a detection that
    /// matched 100,000 subscribers), one script per user, batched (`batch`:
    /// one round trip on a single Redis, one pipeline per user on a cluster).
    pub async fn record_many(
        &self,
        users: &[(&UserId, &[SubscriptionId])],
        moment: Moment,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let suffix = moment.suffix();
        for chunk in users.chunks(1000) {
            let mut batch = self.batch();
            for (uid, sids) in chunk.iter().filter(|(_, sids)| !sids.is_empty()) {
                let key = self.hist_key(uid);
                let mut call = RECORD.key(&key);
                call.key(self.version_key(uid)).arg(at_ms);
                for sid in *sids {
                    call.arg(format!("{sid}:{suffix}"));
                }
                batch.on(&key).invoke_script(&call).ignore();
            }
            batch.run(self, &[&RECORD]).await?;
        }
        Ok(())
    }
}

impl Store {
    /// In the user's tag group, so one script writes it with `ver:`.
    pub(super) fn hist_key(&self, uid: &UserId) -> String {
        self.tagged("hist", uid.as_str(), "")
    }
}

/// A `hist:` hash as read, per subscription (fields this version cannot
/// read are left out).
pub(super) fn moments_of(raw: HashMap<String, u64>) -> HashMap<SubscriptionId, Moments> {
    let mut out: HashMap<SubscriptionId, Moments> = HashMap::new();
    for (field, at) in raw {
        let Some((sid, kind)) = field.rsplit_once(':') else {
            continue;
        };
        let Ok(sid) = SubscriptionId::parse(sid) else {
            continue;
        };
        let moments = out.entry(sid).or_default();
        match kind {
            "m" => moments.matched = Some(at),
            "a" => moments.alerted = Some(at),
            _ => {}
        }
    }
    out
}
