//! `redis-hack-server check [--repair]`: scans every key under the prefix
//! (every master of a cluster), finds what one user action left half-done
//! when a process died between two of its writes, and with `repair` finishes
//! or undoes it.
//!
//! The user document is the source of truth: whatever disagrees with it is
//! made to agree with it, never the other way round. A subscription in the
//! document but missing from its target's index is indexed again, whether the
//! crash came in the middle of a subscribe (the document written first) or of
//! an unsubscribe (the index entry removed first): in both cases the request
//! failed, so the user was never told the change happened, and the document
//! still lists the subscription. An index entry whose subscription is not in
//! the document is removed (the fan-out never alerts through it either). A
//! user document at a uid its address does not lead to is reported and left
//! for a person (`users`).
//!
//! Reading order matters while the server keeps running: indexes are read
//! before documents (an add writes its document first, a removal its index
//! entry first, so a change in flight is seen as "missing from the index",
//! whose repair is harmless), and a key that looks like a leftover of a
//! missing user is looked at again just before it is counted. Every repair
//! is idempotent; a second run finds what a change in flight left.

mod names;
mod scan;
mod subs;
mod users;

use super::{Store, StoreError};
use names::Scanned;
use redis_hack_shared::{EmailAddress, TargetKey, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A kind of inconsistency `check` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    /// An index entry whose subscription is not in the user's document.
    IndexEntryWithoutSubscription,
    /// A subscription in a document that its target's index lacks.
    SubscriptionNotIndexed,
    /// An index entry whose filters are not the subscription's.
    IndexFiltersDiffer,
    /// An index field that names no subscription (or sits in another uid's
    /// part), or a value that is not filters: removed, and the subscription
    /// (if the document has one) indexed again.
    MalformedIndexEntry,
    /// Mode flags (disarmed, no follow-up) that disagree with the document.
    ModeFlagsDiffer,
    /// A polled target whose `targets` count is not its number of subscriptions.
    TargetCountWrong,
    /// A user document its address does not lead to (`uids`): at none of
    /// the address's probe uids, or behind an earlier one. Never repaired:
    /// moving a user would change its uid under its tokens, index entries
    /// and queued alerts, so a person decides.
    UserAtWrongUid,
    /// A sign-in token of a user that does not exist.
    TokenWithoutUser,
    /// A per-user key (history, version, webhook state, held alerts, feed)
    /// of a user that does not exist.
    UserKeyWithoutUser,
    /// A user document that cannot be read; `check` leaves it and what
    /// points at it alone.
    UnreadableUser,
}

impl Problem {
    /// Every problem, in the order `check` reports them.
    pub const ALL: [Problem; 10] = [
        Self::IndexEntryWithoutSubscription,
        Self::SubscriptionNotIndexed,
        Self::IndexFiltersDiffer,
        Self::MalformedIndexEntry,
        Self::ModeFlagsDiffer,
        Self::TargetCountWrong,
        Self::UserAtWrongUid,
        Self::TokenWithoutUser,
        Self::UserKeyWithoutUser,
        Self::UnreadableUser,
    ];
}

/// How many of one problem `check` found, and how many it repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub problem: Problem,
    pub found: u64,
    pub repaired: u64,
}

/// What `check` saw and found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Servers scanned: 1, or every master of a cluster.
    pub servers: usize,
    /// Whether the store is a Redis Cluster.
    pub cluster: bool,
    /// Keys under the prefix.
    pub keys: u64,
    /// User documents.
    pub users: u64,
    /// Every problem of `Problem::ALL`, found or not.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Inconsistencies found and not repaired.
    pub fn unrepaired(&self) -> u64 {
        self.findings.iter().map(|f| f.found - f.repaired).sum()
    }

    pub fn found(&self) -> u64 {
        self.findings.iter().map(|f| f.found).sum()
    }

    /// The finding for `problem`.
    pub fn of(&self, problem: Problem) -> Finding {
        self.findings
            .iter()
            .find(|f| f.problem == problem)
            .copied()
            .unwrap_or(Finding {
                problem,
                found: 0,
                repaired: 0,
            })
    }
}

/// Counts per problem while checking.
#[derive(Default)]
struct Tally(BTreeMap<Problem, (u64, u64)>);

impl Tally {
    fn add(&mut self, problem: Problem, repaired: bool) {
        let entry = self.0.entry(problem).or_default();
        entry.0 += 1;
        entry.1 += u64::from(repaired);
    }
}

/// Every key `check` looks into, by kind (from one scan).
#[derive(Default)]
struct Keys {
    users: Vec<UserId>,
    /// (target, part) of every index part.
    indexes: Vec<(TargetKey, &'static str)>,
    modes: Vec<TargetKey>,
    token_buckets: Vec<String>,
    /// (key, its user).
    of_user: Vec<(String, UserId)>,
}

/// What the user documents say.
#[derive(Default)]
struct Docs {
    emails: HashMap<UserId, EmailAddress>,
    /// target -> index member -> what its entry and flags must be.
    expected: HashMap<TargetKey, HashMap<String, subs::Expected>>,
    /// Documents that exist but cannot be read.
    unreadable: HashSet<UserId>,
}

impl Docs {
    /// Whether a document exists for `uid` (readable or not).
    fn exists(&self, uid: &UserId) -> bool {
        self.emails.contains_key(uid) || self.unreadable.contains(uid)
    }
}

impl Store {
    /// Scans the store and reports every inconsistency; with `repair`, fixes them.
    pub async fn check(&self, repair: bool) -> Result<CheckReport, StoreError> {
        let mut keys = Keys::default();
        let (servers, total) = self
            .scan_keys(|key, what| match what {
                Scanned::User(uid) => keys.users.push(uid),
                Scanned::Index(t, part) => keys.indexes.push((t, part)),
                Scanned::Mode(t) => keys.modes.push(t),
                Scanned::TokenBucket => keys.token_buckets.push(key.to_owned()),
                Scanned::OfUser(uid) => keys.of_user.push((key.to_owned(), uid)),
                Scanned::Other => {}
            })
            .await?;
        let mut tally = Tally::default();
        // Indexes before documents: see the module's header.
        let indexes = self.read_indexes(&keys).await?;
        let docs = self.read_docs(&keys.users).await?;
        for _ in &docs.unreadable {
            tally.add(Problem::UnreadableUser, false);
        }
        self.check_subscriptions(indexes, &docs, repair, &mut tally)
            .await?;
        users::check_uids(&docs, &mut tally);
        self.check_leftovers(&keys, &docs, repair, &mut tally)
            .await?;
        let findings = Problem::ALL
            .iter()
            .map(|&problem| {
                let (found, repaired) = tally.0.get(&problem).copied().unwrap_or_default();
                Finding {
                    problem,
                    found,
                    repaired,
                }
            })
            .collect();
        Ok(CheckReport {
            servers,
            cluster: self.client.is_cluster(),
            keys: total,
            users: keys.users.len() as u64,
            findings,
        })
    }
}
