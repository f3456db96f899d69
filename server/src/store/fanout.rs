//! Reading a target's subscribers for fan-out: one `HGETALL` on the target's
//! index hash gives every `{uid}:{sid}` with its filters.

use super::{Store, StoreError};
use redis::AsyncCommands;
use redis_hack_shared::{Filters, SubscriptionId, TargetKey, UserId};
use std::collections::HashMap;

/// One subscription on a target, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub uid: UserId,
    pub sid: SubscriptionId,
    pub filters: Filters,
}

impl Store {
    /// Every subscription on `target`, with its filters.
    pub async fn subscribers_of(&self, target: &TargetKey) -> Result<Vec<Subscriber>, StoreError> {
        let entries: HashMap<String, String> = self
            .conn()
            .hgetall(self.key(&format!("idx:{target}")))
            .await?;
        entries
            .into_iter()
            .map(|(member, filters)| {
                let corrupt =
                    |why: String| StoreError::Corrupt(format!("index member '{member}': {why}"));
                let (uid, sid) = member
                    .split_once(':')
                    .ok_or_else(|| corrupt("no ':'".into()))?;
                Ok(Subscriber {
                    uid: UserId::parse(uid).map_err(|e| corrupt(e.to_string()))?,
                    sid: SubscriptionId::parse(sid).map_err(|e| corrupt(e.to_string()))?,
                    filters: serde_json::from_str(&filters).map_err(|e| corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}
