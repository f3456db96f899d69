//! Batches of commands over many tag groups (a fan-out's history writes,
//! feed events for many users, `list`'s reads over several targets).
//!
//! A batch is one pipeline on a single Redis. On a Redis Cluster it is one
//! pipeline per master: the commands are grouped by slot, the slots by the
//! master that serves them (`CLUSTER SLOTS`, asked once per batch), and each
//! master's share goes to it in one pipeline. The `redis` crate's own
//! routing refuses a pipeline whose commands name two slots, even when it is
//! not atomic, but Redis runs each command of such a pipeline on its own; so
//! a fan-out to 100,000 users is three round trips per 1,000 users, not
//! 1,000 (a pipeline per user cost the cluster fan-out a fifth of its time).
//! When the crate's own slot map is stale (the pipeline reaches a master
//! that no longer serves its slots), every command answers `MOVED` and the
//! crate sends the whole pipeline on to the new master (`tests/cluster`,
//! `moved.rs`). Replies that are plain errors (a script this master does
//! not know yet) come back to us: that slot's commands are sent again on
//! their own, through `query_with_scripts`. If the crate gives up, all of
//! this master's slots are sent again the same way. Neither kind is atomic,
//! and a command in a batch may run twice: history writes are idempotent
//! (a second version bump is harmless), a feed event would show twice. One
//! case makes that likely: a resharding moving one slot of a master while
//! a batch is in flight, where the crate redirects the whole pipeline on
//! that slot's `MOVED`/`ASK` and repeats the commands of the other slots. A
//! failover moves all of a master's slots together and is not affected.

use super::conn::Conn;
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
        let groups: Vec<(u16, redis::Pipeline)> = self
            .groups
            .into_iter()
            .filter(|(_, pipe)| !pipe.is_empty())
            .collect();
        match store.conn() {
            Conn::Cluster(conn) if groups.len() > 1 => {
                let owners = conn.masters_by_slot().await?;
                let mut per_master: HashMap<Option<u16>, Vec<(u16, redis::Pipeline)>> =
                    HashMap::new();
                for (slot, pipe) in groups {
                    let owner = owners.get(usize::from(slot)).copied().flatten();
                    per_master.entry(owner).or_default().push((slot, pipe));
                }
                let runs = per_master
                    .into_values()
                    .map(|slots| to_one_master(store, &conn, slots, scripts));
                try_join_all(runs).await?;
            }
            _ => {
                let runs = groups
                    .iter()
                    .map(|(_, pipe)| query_with_scripts::<()>(store, pipe, scripts));
                try_join_all(runs).await?;
            }
        }
        Ok(())
    }
}

/// The pipelines of `slots` (all served by one master) as one pipeline to
/// that master; a slot with an error among its replies (moved, or a script
/// unknown there) is sent again on its own (see the module's header).
async fn to_one_master(
    store: &Store,
    conn: &super::topology::ClusterConn,
    slots: Vec<(u16, redis::Pipeline)>,
    scripts: &[&redis::Script],
) -> Result<(), StoreError> {
    let mut whole = redis::pipe();
    for (_, pipe) in &slots {
        for cmd in pipe.cmd_iter() {
            whole.add_command(cmd.clone());
        }
    }
    let sent = whole.len();
    let replies = conn.pipeline_to_master_of(slots[0].0, whole).await;
    let mut again = Vec::new();
    match replies {
        Ok(replies) if replies.len() == sent => {
            let mut replies = replies.iter();
            for (_, pipe) in &slots {
                let failed = replies
                    .by_ref()
                    .take(pipe.len())
                    .any(|r| matches!(r, redis::Value::ServerError(_)));
                if failed {
                    again.push(pipe);
                }
            }
        }
        // Not one reply per command, or no answer: all of it again.
        _ => again.extend(slots.iter().map(|(_, pipe)| pipe)),
    }
    let runs = again
        .into_iter()
        .map(|pipe| query_with_scripts::<()>(store, pipe, scripts));
    try_join_all(runs).await?;
    Ok(())
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
