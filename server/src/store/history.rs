//! Per-user alert history: `{p}hist:{uid}`, a hash with `{sid}:m` (last time
//! an opening matched the subscription) and `{sid}:a` (last alert the SMTP
//! server accepted for it), in ms. Read by `list` to answer "why no alert?".

use super::{Store, StoreError};
use redis::AsyncCommands;
use redis_hack_shared::{SubscriptionId, UserId};
use std::collections::HashMap;

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

    /// `record` for many users at once, pipelined 1,000 to a round trip (a
    /// detection that matched 100,000 subscribers).
    pub async fn record_many(
        &self,
        users: &[(&UserId, &[SubscriptionId])],
        moment: Moment,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let suffix = moment.suffix();
        for chunk in users.chunks(1000) {
            let mut pipe = redis::pipe();
            for (uid, sids) in chunk.iter().filter(|(_, sids)| !sids.is_empty()) {
                let fields: Vec<(String, u64)> = sids
                    .iter()
                    .map(|sid| (format!("{sid}:{suffix}"), at_ms))
                    .collect();
                pipe.hset_multiple(self.key(&format!("hist:{uid}")), &fields)
                    .ignore();
            }
            if !pipe.is_empty() {
                let () = pipe.query_async(&mut self.conn()).await?;
            }
        }
        Ok(())
    }

    /// The user's history, per subscription (fields this version cannot read are left out).
    pub async fn history(
        &self,
        uid: &UserId,
    ) -> Result<HashMap<SubscriptionId, Moments>, StoreError> {
        let raw: HashMap<String, u64> = self
            .conn()
            .hgetall(self.key(&format!("hist:{uid}")))
            .await?;
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
        Ok(out)
    }
}
