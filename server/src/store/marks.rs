//! Marks in what the poller saw (`{p}seen:{target}`, owned by `poll`) made
//! outside a poll: an alert sent the moment a subscription was made names
//! its sessions as alerted for its filter set. Only the named fields are
//! written; a poll running at the same time may overwrite them, which
//! costs nothing worse than the rules for a session that closes and reopens.

use super::poll::SEEN_TTL_SECS;
use super::{Store, StoreError, to_json};
use redis_hack_shared::TargetKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

impl Store {
    /// What the last poll saw of the sessions `ids` (those it saw).
    pub async fn seen_of<T: DeserializeOwned>(
        &self,
        target: &TargetKey,
        ids: &[&str],
    ) -> Result<HashMap<String, T>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let raw: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.seen_key(target))
            .arg(ids)
            .query_async(&mut self.conn())
            .await?;
        Ok(ids
            .iter()
            .zip(raw)
            .filter_map(|(id, json)| Some(((*id).to_owned(), serde_json::from_str(&json?).ok()?)))
            .collect())
    }

    /// Writes these entries of what was seen of `target`, leaving the others.
    pub async fn put_seen<T: Serialize>(
        &self,
        target: &TargetKey,
        entries: &HashMap<String, T>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let fields = entries
            .iter()
            .map(|(id, s)| Ok((id.as_str(), to_json("what a poll saw", s)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let key = self.seen_key(target);
        let () = redis::pipe()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(&key, SEEN_TTL_SECS)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }
}
