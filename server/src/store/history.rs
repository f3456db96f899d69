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

impl Moment {
    fn suffix(self) -> &'static str {
        match self {
            Moment::Matched => "m",
            Moment::Alerted => "a",
        }
    }
}

impl Store {
    pub async fn record(
        &self,
        uid: &str,
        sids: &[String],
        moment: Moment,
        at_ms: u64,
    ) -> Result<(), StoreError> {
        let suffix = moment.suffix();
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

    /// `record` for many users at once, pipelined 1,000 to a round trip (a
    /// detection that matched 100,000 subscribers).
    pub async fn record_many(
        &self,
        users: &[(&str, &[String])],
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
            let () = pipe.query_async(&mut self.conn()).await?;
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
