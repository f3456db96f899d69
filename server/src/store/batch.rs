//! Batches of commands over many tag groups (a fan-out's history writes,
//! feed events for many users, `list`'s reads over several targets).
//!
//! A pipeline on a Redis Cluster must stay on one slot: redis-rs refuses one
//! whose commands route to two ("Received crossed slots in pipeline"), even
//! when they are not atomic. So a batch is one pipeline per slot on a
//! cluster (keys of many tags share a slot: a fan-out to 100,000 users makes
//! at most 16,384 pipelines, not 100,000), all sent at once (the connection
//! multiplexes them), and one pipeline on a single Redis. Neither is atomic.

use super::partition::slot;
use super::version::query_with_scripts;
use super::{Store, StoreError};
use futures_util::future::try_join_all;
use std::collections::HashMap;

/// Writes over several tag groups; see the module's header.
pub(super) struct Batch {
    cluster: bool,
    /// One pipeline per slot (all under slot 0 on a single Redis).
    groups: HashMap<u16, redis::Pipeline>,
}

impl Batch {
    /// The pipeline for commands on `key` (every key of one command or
    /// script must share its tag).
    pub(super) fn on(&mut self, key: &str) -> &mut redis::Pipeline {
        let at = if self.cluster { slot(hash_tag(key)) } else { 0 };
        self.groups.entry(at).or_insert_with(redis::pipe)
    }

    /// Sends every group's pipeline (each must `ignore()` its replies),
    /// loading `scripts` where Redis does not know them yet.
    pub(super) async fn run(
        self,
        store: &Store,
        scripts: &[&redis::Script],
    ) -> Result<(), StoreError> {
        let runs = self
            .groups
            .values()
            .filter(|pipe| !pipe.is_empty())
            .map(|pipe| query_with_scripts::<()>(store, pipe, scripts));
        try_join_all(runs).await?;
        Ok(())
    }
}

impl Store {
    /// An empty batch (see the module's header).
    pub(super) fn batch(&self) -> Batch {
        Batch {
            cluster: self.client.is_cluster(),
            groups: HashMap::new(),
        }
    }

    /// Runs each of `cmds` (each on one slot) and returns their replies in
    /// order: in one pipeline on a single Redis, all at once on a cluster.
    pub(super) async fn query_each(
        &self,
        cmds: Vec<redis::Cmd>,
    ) -> Result<Vec<redis::Value>, StoreError> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        if !self.client.is_cluster() {
            let mut pipe = redis::pipe();
            for cmd in cmds {
                pipe.add_command(cmd);
            }
            return Ok(pipe.query_async(&mut self.conn()).await?);
        }
        let replies = cmds.iter().map(|cmd| {
            let mut conn = self.conn();
            async move { cmd.query_async::<redis::Value>(&mut conn).await }
        });
        Ok(try_join_all(replies).await?)
    }
}

/// What Redis Cluster hashes for `key`: the part between the first `{` and
/// the next `}` when it is not empty, else the whole key.
fn hash_tag(key: &str) -> &str {
    let Some(open) = key.find('{') else {
        return key;
    };
    match key[open + 1..].find('}') {
        Some(0) | None => key,
        Some(len) => &key[open + 1..open + 1 + len],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_tag_follows_redis_cluster_rules() {
        assert_eq!(hash_tag("rh:hist:{0123abcd}"), "0123abcd");
        assert_eq!(hash_tag("rh:hook:{u1}:s1"), "u1");
        assert_eq!(hash_tag("rh:targets"), "rh:targets");
        assert_eq!(hash_tag("rh:x:{}{a}"), "rh:x:{}{a}");
        assert_eq!(hash_tag("rh:x:{a"), "rh:x:{a");
    }
}
