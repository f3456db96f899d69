//! Users against their addresses and what names them: each user document
//! must sit at the uid its address leads to (`uids`), and tokens and
//! per-user keys must belong to a user that exists.
//!
//! A user at a uid its address does not lead to is reported and left alone:
//! moving it would change its uid under its tokens, index entries and
//! queued alerts, so a person decides. The server never writes one; it takes
//! a document written by hand, or the loss of the document at an earlier
//! probe (which only a 64-bit collision puts there).
//!
//! Leftovers of missing users are looked at again just before they are
//! counted, so a user created meanwhile is not taken for one.

use super::names::{probe_uids, token_record_uid};
use super::{Docs, Keys, Problem, Tally};
use crate::store::{Store, StoreError};
use redis::Cmd;
use redis_hack_shared::{EmailAddress, UserId};
use std::collections::HashSet;

/// One token record: whose, and how to delete it.
struct Token {
    uid: Option<UserId>,
    delete: Cmd,
}

/// Counts the users their address does not lead to (never repaired: see the
/// module's header).
pub(super) fn check_uids(docs: &Docs, tally: &mut Tally) {
    for (uid, email) in &docs.emails {
        if !reached(uid, email, docs) {
            tally.add(Problem::UserAtWrongUid, false);
        }
    }
}

/// Whether probing `email` (`uids`) reaches the document at `uid`: the walk
/// passes the documents of other addresses and stops at `uid`, at a missing
/// document, or at an earlier document of `email`. A document that cannot
/// be read on the way may be any address's: `uid` is given the benefit of it.
fn reached(uid: &UserId, email: &EmailAddress, docs: &Docs) -> bool {
    for probe in probe_uids(email) {
        if probe == *uid || docs.unreadable.contains(&probe) {
            return true;
        }
        match docs.emails.get(&probe) {
            Some(other) if other != email => {}
            _ => return false,
        }
    }
    false
}

impl Store {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_reached_past_other_addresses_only() {
        let email = EmailAddress::parse("a@example.com").unwrap();
        let other = EmailAddress::parse("b@example.com").unwrap();
        let mut probes = probe_uids(&email);
        let (p0, p1) = (probes.next().unwrap(), probes.next().unwrap());
        let mut docs = Docs::default();
        docs.emails.insert(p0.clone(), email.clone());
        assert!(reached(&p0, &email, &docs));
        let elsewhere = UserId::parse("00000000000000aa").unwrap();
        assert!(!reached(&elsewhere, &email, &docs), "not a probe uid");
        docs.emails.insert(p1.clone(), email.clone());
        assert!(!reached(&p1, &email, &docs), "probe 0 holds the address");
        docs.emails.insert(p0.clone(), other);
        assert!(reached(&p1, &email, &docs), "probe 0 is another address's");
        docs.emails.remove(&p0);
        assert!(!reached(&p1, &email, &docs), "probing stops at probe 0");
        docs.unreadable.insert(p0);
        assert!(reached(&p1, &email, &docs), "probe 0 may be anyone's");
    }
}
