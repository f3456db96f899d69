//! Reading a target's subscribers for fan-out: one `HGETALL` on the target's
//! index hash gives every `{uid}:{sid}` with its filters.

use super::{Store, StoreError};
use redis::AsyncCommands;
use redis_hack_shared::Filters;
use std::collections::HashMap;

/// One subscription on a target, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub uid: String,
    pub sid: String,
    pub filters: Filters,
}

impl Store {
    /// Every subscription on `target` (`d:{id}` or `p:{pin}`), with its filters.
    pub async fn subscribers_of(&self, target: &str) -> Result<Vec<Subscriber>, StoreError> {
        let entries: HashMap<String, String> = self
            .conn()
            .hgetall(self.key(&format!("idx:{target}")))
            .await?;
        entries
            .into_iter()
            .map(|(member, filters)| {
                let (uid, sid) = member
                    .split_once(':')
                    .ok_or_else(|| StoreError::Corrupt(format!("index member '{member}'")))?;
                let filters = serde_json::from_str(&filters)
                    .map_err(|e| StoreError::Corrupt(format!("filters of {member}: {e}")))?;
                Ok(Subscriber {
                    uid: uid.to_owned(),
                    sid: sid.to_owned(),
                    filters,
                })
            })
            .collect()
    }
}
