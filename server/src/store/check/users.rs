//! Users against what names them: each address's lookup must name the one
//! user with that address, and tokens and per-user keys must belong to a user
//! that exists.
//!
//! Verify writes the document before the lookup, so a document without its
//! lookup is a verify cut short: the lookup is written (the user signs in to
//! that account next time). If the same address signed up again meanwhile,
//! the lookup names the newer document; the older one is then deleted if it
//! holds no subscription (what a cut-short verify leaves), and left for a
//! person otherwise. Leftovers of missing users are looked at again just
//! before they are counted, so a user created meanwhile is not taken for one.

use super::names::{LookupAt, token_record_uid};
use super::{Docs, Keys, Problem, Tally};
use crate::store::{Store, StoreError};
use redis::Cmd;
use redis_hack_shared::UserId;
use std::collections::{HashMap, HashSet};

/// One email lookup as stored.
struct Lookup {
    email: String,
    uid: String,
    at: LookupAt,
}

/// One token record: whose, and how to delete it.
struct Token {
    uid: Option<UserId>,
    delete: Cmd,
}

impl Store {
    pub(super) async fn check_lookups(
        &self,
        keys: &Keys,
        docs: &mut Docs,
        repair: bool,
        tally: &mut Tally,
    ) -> Result<(), StoreError> {
        let lookups = self.read_lookups(keys).await?;
        let names_its_user = |l: &Lookup| {
            UserId::parse(&l.uid).is_ok_and(|uid| {
                docs.unreadable.contains(&uid)
                    || docs.emails.get(&uid).is_some_and(|e| e.as_str() == l.email)
            })
        };
        let (good, bad): (Vec<&Lookup>, Vec<&Lookup>) =
            lookups.iter().partition(|l| names_its_user(l));
        let still_gone = self
            .still_gone(bad.iter().filter_map(|l| UserId::parse(&l.uid).ok()))
            .await?;
        let mut removals = Vec::new();
        for lookup in bad {
            let uid = UserId::parse(&lookup.uid).ok();
            if uid
                .as_ref()
                .is_some_and(|u| !docs.exists(u) && !still_gone.contains(u))
            {
                continue; // its user was created meanwhile
            }
            tally.add(Problem::LookupWithoutUser, repair);
            removals.push(cmd("HDEL", &[&lookup.at.key, &lookup.at.field]));
        }
        let by_email: HashMap<&str, &str> = good
            .iter()
            .map(|l| (l.email.as_str(), l.uid.as_str()))
            .collect();
        let mut additions = Vec::new();
        let mut deletions = Vec::new();
        for (uid, email) in &docs.emails {
            match by_email.get(email.as_str()) {
                Some(named) if *named == uid.as_str() => {}
                Some(_) => {
                    let empty = docs.subscriptions.get(uid).copied().unwrap_or(0) == 0;
                    tally.add(Problem::DuplicateUser, repair && empty);
                    if empty {
                        deletions.push(uid.clone());
                    }
                }
                None => {
                    tally.add(Problem::UserWithoutLookup, repair);
                    let LookupAt { key, field } = self.email_lookup(email);
                    additions.push(cmd("HSETNX", &[&key, &field, uid.as_str()]));
                }
            }
        }
        if repair {
            // Stale lookups first: a document's own lookup may replace one.
            self.apply(removals).await?;
            self.apply(additions).await?;
            let docs_gone = deletions
                .iter()
                .map(|uid| cmd("DEL", &[&self.doc_key(uid)]));
            self.apply(docs_gone.collect()).await?;
            for uid in deletions {
                docs.emails.remove(&uid);
            }
        }
        Ok(())
    }

    /// Tokens and per-user keys of users that do not exist.
    pub(super) async fn check_leftovers(
        &self,
        keys: &Keys,
        docs: &Docs,
        repair: bool,
        tally: &mut Tally,
    ) -> Result<(), StoreError> {
        let tokens = self.read_tokens(keys).await?;
        let orphan = |uid: &Option<UserId>| uid.as_ref().is_some_and(|u| !docs.exists(u));
        let tokens: Vec<Token> = tokens.into_iter().filter(|t| orphan(&t.uid)).collect();
        let user_keys: Vec<&(String, UserId)> = keys
            .of_user
            .iter()
            .filter(|(_, u)| !docs.exists(u))
            .collect();
        let gone = self
            .still_gone(
                tokens
                    .iter()
                    .filter_map(|t| t.uid.clone())
                    .chain(user_keys.iter().map(|(_, u)| u.clone())),
            )
            .await?;
        let mut fixes = Vec::new();
        for token in tokens
            .into_iter()
            .filter(|t| t.uid.as_ref().is_some_and(|u| gone.contains(u)))
        {
            tally.add(Problem::TokenWithoutUser, repair);
            fixes.push(token.delete);
        }
        for (key, _) in user_keys.into_iter().filter(|(_, u)| gone.contains(u)) {
            tally.add(Problem::UserKeyWithoutUser, repair);
            fixes.push(cmd("DEL", &[key]));
        }
        if repair {
            self.apply(fixes).await?;
        }
        Ok(())
    }

    /// Every email lookup of every bucket.
    async fn read_lookups(&self, keys: &Keys) -> Result<Vec<Lookup>, StoreError> {
        let mut lookups = Vec::new();
        let buckets = keys
            .email_buckets
            .iter()
            .map(|key| cmd("HGETALL", &[key]))
            .collect();
        let buckets: Vec<HashMap<String, String>> = self.each(buckets).await?;
        for (key, bucket) in keys.email_buckets.iter().zip(buckets) {
            lookups.extend(bucket.into_iter().map(|(email, uid)| Lookup {
                at: LookupAt {
                    key: key.clone(),
                    field: email.clone(),
                },
                email,
                uid,
            }));
        }
        Ok(lookups)
    }

    /// Every token record of every bucket.
    async fn read_tokens(&self, keys: &Keys) -> Result<Vec<Token>, StoreError> {
        let mut tokens = Vec::new();
        let buckets = keys
            .token_buckets
            .iter()
            .map(|key| cmd("HGETALL", &[key]))
            .collect();
        let buckets: Vec<Vec<(Vec<u8>, Vec<u8>)>> = self.each(buckets).await?;
        for (key, bucket) in keys.token_buckets.iter().zip(buckets) {
            tokens.extend(bucket.into_iter().map(|(field, record)| {
                let mut delete = redis::cmd("HDEL");
                delete.arg(key).arg(field);
                Token {
                    uid: token_record_uid(&record),
                    delete,
                }
            }));
        }
        Ok(tokens)
    }

    /// Which of `uids` still have no document, asked now.
    async fn still_gone(
        &self,
        uids: impl Iterator<Item = UserId>,
    ) -> Result<HashSet<UserId>, StoreError> {
        let uids: Vec<UserId> = uids.collect::<HashSet<_>>().into_iter().collect();
        let exists = uids
            .iter()
            .map(|u| cmd("EXISTS", &[&self.doc_key(u)]))
            .collect();
        let exists: Vec<bool> = self.each(exists).await?;
        Ok(uids
            .into_iter()
            .zip(exists)
            .filter_map(|(uid, exists)| (!exists).then_some(uid))
            .collect())
    }
}

/// `name args...`.
fn cmd(name: &str, args: &[&str]) -> Cmd {
    let mut cmd = redis::cmd(name);
    for arg in args {
        cmd.arg(*arg);
    }
    cmd
}
