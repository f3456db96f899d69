//! Subscriptions against their indexes: each target's index (`idx:`) and
//! mode flags (`mode:`) must hold exactly the subscriptions the documents
//! hold on it, with their filters and flags, and `targets` must count them.
//!
//! A target's `targets` count follows its index, so where the index was
//! wrong the count is set again as part of that repair (from the repaired
//! index's length, as a subscribe does) and not reported a second time;
//! `TargetCountWrong` is a count that is wrong on its own.

use super::names::{
    index_filters, index_member, index_value, member, member_uid, mode_flags, same_flags,
};
use super::{Docs, Keys, Problem, Tally};
use crate::store::users::parse_user;
use crate::store::{Store, StoreError};
use redis::Cmd;
use redis_hack_shared::{Filters, TargetKey, UserId};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What one subscription's index entry and mode flags must be.
pub(super) struct Expected {
    filters: Filters,
    flags: String,
}

/// Each target's index (its parts merged, by member `{uid}:{sid}`) and
/// mode hashes as read.
pub(super) struct Indexes {
    entries: HashMap<TargetKey, HashMap<String, Vec<u8>>>,
    modes: HashMap<TargetKey, HashMap<String, String>>,
    /// (target, part key, field) of the index fields that name no entry of
    /// their part.
    malformed: Vec<(TargetKey, String, Vec<u8>)>,
}

/// User documents read per command batch.
const DOCS_PER_BATCH: usize = 500;

impl Store {
    pub(super) async fn read_indexes(&self, keys: &Keys) -> Result<Indexes, StoreError> {
        let hgetall = |key: String| {
            let mut cmd = redis::cmd("HGETALL");
            cmd.arg(key);
            cmd
        };
        let parts: Vec<HashMap<Vec<u8>, Vec<u8>>> = self
            .each(
                keys.indexes
                    .iter()
                    .map(|(t, part)| hgetall(self.index_part_of(t, part)))
                    .collect(),
            )
            .await?;
        let mut entries: HashMap<TargetKey, HashMap<String, Vec<u8>>> = HashMap::new();
        let mut malformed = Vec::new();
        for ((target, part), fields) in keys.indexes.iter().zip(parts) {
            let merged = entries.entry(target.clone()).or_default();
            for (field, value) in fields {
                match index_member(part, &field) {
                    Some(m) => {
                        merged.insert(m, value);
                    }
                    None => {
                        malformed.push((target.clone(), self.index_part_of(target, part), field))
                    }
                }
            }
        }
        let modes = self
            .each(
                keys.modes
                    .iter()
                    .map(|t| hgetall(self.mode_key_of(t)))
                    .collect(),
            )
            .await?;
        Ok(Indexes {
            entries,
            modes: keys.modes.iter().cloned().zip(modes).collect(),
            malformed,
        })
    }

    pub(super) async fn read_docs(&self, users: &[UserId]) -> Result<Docs, StoreError> {
        let mut docs = Docs::default();
        for batch in users.chunks(DOCS_PER_BATCH) {
            let cmds = batch
                .iter()
                .map(|uid| {
                    let mut cmd = redis::cmd("JSON.GET");
                    cmd.arg(self.doc_key(uid));
                    cmd
                })
                .collect();
            let raws: Vec<Option<String>> = self.each(cmds).await?;
            for (uid, raw) in batch.iter().zip(raws) {
                match parse_user(uid, raw) {
                    Ok(Some(doc)) => {
                        let subscriptions = doc.subscriptions();
                        for sub in subscriptions {
                            let expected = Expected {
                                flags: mode_flags(&sub),
                                filters: sub.filters,
                            };
                            docs.expected
                                .entry(sub.target.key())
                                .or_default()
                                .insert(member(uid, &sub.id), expected);
                        }
                        docs.emails.insert(uid.clone(), doc.email);
                    }
                    // Deleted since the scan.
                    Ok(None) => {}
                    Err(_) => {
                        docs.unreadable.insert(uid.clone());
                    }
                }
            }
        }
        Ok(docs)
    }

    pub(super) async fn check_subscriptions(
        &self,
        indexes: Indexes,
        docs: &Docs,
        repair: bool,
        tally: &mut Tally,
    ) -> Result<(), StoreError> {
        let Indexes {
            entries,
            modes,
            malformed,
        } = indexes;
        let (none, no_flags) = (HashMap::new(), HashMap::new());
        let mut fixes: Vec<Cmd> = Vec::new();
        // (target, member) of the index entries removed as stale.
        let mut stale: Vec<(TargetKey, String)> = Vec::new();
        let mut recount: HashSet<TargetKey> = HashSet::new();
        for (target, key, field) in malformed {
            tally.add(Problem::MalformedIndexEntry, repair);
            let mut cmd = redis::cmd("HDEL");
            cmd.arg(key).arg(field);
            fixes.push(cmd);
            recount.insert(target);
        }
        // Targets with entries of unreadable documents: their count cannot be judged.
        let mut unsure: HashSet<TargetKey> = HashSet::new();
        let targets: BTreeSet<&TargetKey> = entries
            .keys()
            .chain(modes.keys())
            .chain(docs.expected.keys())
            .collect();
        for target in targets {
            let have = entries.get(target).unwrap_or(&none);
            let flags = modes.get(target).unwrap_or(&no_flags);
            let want = docs.expected.get(target);
            let mode = self.mode_key_of(target);
            let index = |m: &str| self.index_entry_of(target, m);
            // Entries of unreadable documents are left as they are.
            let judged = |m: &str| member_uid(m).is_none_or(|uid| !docs.unreadable.contains(&uid));
            if !have.keys().all(|m| judged(m)) {
                unsure.insert(target.clone());
            }
            for (m, value) in have.iter().filter(|(m, _)| judged(m)) {
                let Some(expected) = want.and_then(|w| w.get(m)) else {
                    tally.add(Problem::IndexEntryWithoutSubscription, repair);
                    fixes.extend(index(m).map(|(key, field)| hdel(&key, &field)));
                    if flags.contains_key(m) {
                        fixes.push(hdel(&mode, m.as_bytes()));
                    }
                    recount.insert(target.clone());
                    stale.push((target.clone(), m.clone()));
                    continue;
                };
                if index_filters(value).as_ref() != Some(&expected.filters) {
                    tally.add(Problem::IndexFiltersDiffer, repair);
                    fixes.extend(index(m).map(|(key, field)| {
                        hset(&key, &field, index_value(&expected.filters).as_bytes())
                    }));
                }
                let stored = flags.get(m).map_or("", String::as_str);
                if !same_flags(stored, &expected.flags) {
                    tally.add(Problem::ModeFlagsDiffer, repair);
                    fixes.push(set_flags(&mode, m, &expected.flags));
                }
            }
            for (m, expected) in want.into_iter().flatten() {
                if have.contains_key(m) {
                    continue;
                }
                // Indexed again with its flags, as a subscribe indexes it.
                tally.add(Problem::SubscriptionNotIndexed, repair);
                fixes.extend(index(m).map(|(key, field)| {
                    hset(&key, &field, index_value(&expected.filters).as_bytes())
                }));
                if !same_flags(flags.get(m).map_or("", String::as_str), &expected.flags) {
                    fixes.push(set_flags(&mode, m, &expected.flags));
                }
                recount.insert(target.clone());
            }
            for m in flags.keys().filter(|m| judged(m)) {
                let subscribed = want.is_some_and(|w| w.contains_key(m.as_str()));
                if !have.contains_key(m) && !subscribed {
                    tally.add(Problem::ModeFlagsDiffer, repair);
                    fixes.push(hdel(&mode, m.as_bytes()));
                }
            }
        }
        let counted = self.stored_counts().await?;
        let polled: BTreeSet<&TargetKey> = counted
            .keys()
            .chain(docs.expected.keys())
            .filter(|t| t.is_polled() && !recount.contains(*t) && !unsure.contains(*t))
            .collect();
        let mut wrong = Vec::new();
        for target in polled {
            let expected = docs.expected.get(target).map_or(0, HashMap::len) as u64;
            if counted.get(target).copied().unwrap_or(0) != expected {
                tally.add(Problem::TargetCountWrong, repair);
                wrong.push(target.clone());
            }
        }
        if repair {
            self.apply(fixes).await?;
            self.reindex_made_meanwhile(&stale).await?;
            recount.retain(TargetKey::is_polled);
            self.recount(recount.into_iter().chain(wrong).collect())
                .await?;
        }
        Ok(())
    }

    /// Indexes back any of the `stale` entries just removed whose subscription
    /// is in its document now: made again since the documents were read, its
    /// own index write may have come before our removal (the document is
    /// written before the index, so reading it after the removal sees it).
    async fn reindex_made_meanwhile(
        &self,
        stale: &[(TargetKey, String)],
    ) -> Result<(), StoreError> {
        let uids: Vec<UserId> = stale
            .iter()
            .filter_map(|(_, m)| member_uid(m))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let now = self.read_docs(&uids).await?;
        let mut fixes = Vec::new();
        for (target, m) in stale {
            if let Some(expected) = now.expected.get(target).and_then(|w| w.get(m)) {
                fixes.extend(self.index_entry_of(target, m).map(|(key, field)| {
                    hset(&key, &field, index_value(&expected.filters).as_bytes())
                }));
                if !expected.flags.is_empty() {
                    fixes.push(hset(
                        &self.mode_key_of(target),
                        m.as_bytes(),
                        expected.flags.as_bytes(),
                    ));
                }
            }
        }
        self.apply(fixes).await
    }

    /// `targets` as stored: target -> count.
    async fn stored_counts(&self) -> Result<HashMap<TargetKey, u64>, StoreError> {
        let mut zrange = redis::cmd("ZRANGE");
        zrange
            .arg(self.targets_key())
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES");
        let stored: Vec<(String, f64)> = self.each(vec![zrange]).await?.remove(0);
        Ok(stored
            .into_iter()
            .filter_map(|(t, n)| Some((TargetKey::parse(&t).ok()?, n.max(0.0) as u64)))
            .collect())
    }

    /// Sets each of `targets`' count in `targets` from its index's length, as
    /// a subscribe does (and removes it at 0).
    async fn recount(&self, targets: Vec<TargetKey>) -> Result<(), StoreError> {
        let mut lens = Vec::with_capacity(targets.len());
        for target in &targets {
            lens.push(self.index_len(target).await?);
        }
        let fixes = targets
            .iter()
            .zip(lens)
            .map(|(t, n)| {
                let mut cmd = redis::cmd(if n == 0 { "ZREM" } else { "ZADD" });
                cmd.arg(self.targets_key());
                if n > 0 {
                    cmd.arg(n);
                }
                cmd.arg(t.to_string());
                cmd
            })
            .collect();
        self.apply(fixes).await
    }
}

fn hdel(key: &str, field: &[u8]) -> Cmd {
    let mut cmd = redis::cmd("HDEL");
    cmd.arg(key).arg(field);
    cmd
}

fn hset(key: &str, field: &[u8], value: &[u8]) -> Cmd {
    let mut cmd = redis::cmd("HSET");
    cmd.arg(key).arg(field).arg(value);
    cmd
}

/// `flags` for `field` in a mode hash; no entry for none.
fn set_flags(key: &str, field: &str, flags: &str) -> Cmd {
    match flags {
        "" => hdel(key, field.as_bytes()),
        flags => hset(key, field.as_bytes(), flags.as_bytes()),
    }
}
