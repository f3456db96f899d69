//! Per-user alert history: `{p}hist:{uid}`, a hash with `{sid}:m` (last time
//! an opening matched the subscription) and `{sid}:a` (last alert the SMTP
//! server accepted for it), in ms. Read by `list` to answer "why no alert?".

use super::{Store, StoreError};
use redis::AsyncCommands;
use std::collections::HashMap;

/// Which moment to record.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    Matched,
    Alerted,
}

impl Store {
    pub async fn record(
        &self,
        uid: &str,
        sids: &[String],
        moment: Moment,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let suffix = match moment {
            Moment::Matched => "m",
            Moment::Alerted => "a",
        };
        let fields: Vec<(String, u64)> = sids
            .iter()
            .map(|sid| (format!("{sid}:{suffix}"), at_ms))
            .collect();
        if !fields.is_empty() {
            let () = self
                .conn()
                .hset_multiple(self.key(&format!("hist:{uid}")), &fields)
                .await?;
        }
        Ok(())
    }

    /// The user's history: `{sid}:m` / `{sid}:a` -> ms.
    pub async fn history(&self, uid: &str) -> Result<HashMap<String, u64>, StoreError> {
        Ok(self
            .conn()
            .hgetall(self.key(&format!("hist:{uid}")))
            .await?)
    }
}
