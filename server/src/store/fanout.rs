//! Reading a target's subscribers for fan-out: `HGETALL` on the target's
//! index hash gives every `{uid}:{sid}` with its filters, and on its mode
//! hash (`arming`) which of them are disarmed or want no follow-up, both in
//! one round trip (both carry the target's tag, so one pipeline holds them on
//! a cluster too). Disarmed one-shot subscriptions are left out. An entry
//! may outlive its subscription (a crash between an unsubscribe's steps,
//! `subscribe`): the email worker, which opens the user's document anyway,
//! sends nothing for it and deletes it.

use super::{Store, StoreError};
use redis_hack_shared::{Filters, SubscriptionId, TargetKey, UserId};
use std::collections::{HashMap, HashSet};

/// One subscription on a target, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub uid: UserId,
    pub sid: SubscriptionId,
    pub filters: Filters,
}

/// A target's armed subscribers, and those of them without follow-ups.
#[derive(Debug, Default)]
pub struct FanOut {
    pub subscribers: Vec<Subscriber>,
    /// `(uid, sid)` of the subscribers that turned `Gone:` follow-ups off.
    pub no_followup: HashSet<(UserId, SubscriptionId)>,
}

impl Store {
    /// Every armed subscription on `target`, with its filters.
    pub async fn subscribers_of(&self, target: &TargetKey) -> Result<Vec<Subscriber>, StoreError> {
        Ok(self.fan_out_of(target).await?.subscribers)
    }

    /// Every armed subscription on `target`, and which want no follow-up.
    pub async fn fan_out_of(&self, target: &TargetKey) -> Result<FanOut, StoreError> {
        let (entries, modes): (HashMap<String, String>, HashMap<String, String>) = redis::pipe()
            .hgetall(self.index_key(target))
            .hgetall(self.mode_key(target))
            .query_async(&mut self.conn())
            .await?;
        let mut out = FanOut::default();
        for (member, filters) in entries {
            let flags = modes.get(&member).map_or("", String::as_str);
            if flags.contains('d') {
                continue;
            }
            let sub = parse(&member, &filters)?;
            if flags.contains('n') {
                out.no_followup.insert((sub.uid.clone(), sub.sid.clone()));
            }
            out.subscribers.push(sub);
        }
        Ok(out)
    }
}

fn parse(member: &str, filters: &str) -> Result<Subscriber, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("index member '{member}': {why}"));
    let (uid, sid) = member
        .split_once(':')
        .ok_or_else(|| corrupt("no ':'".into()))?;
    Ok(Subscriber {
        uid: UserId::parse(uid).map_err(|e| corrupt(e.to_string()))?,
        sid: SubscriptionId::parse(sid).map_err(|e| corrupt(e.to_string()))?,
        filters: serde_json::from_str(filters).map_err(|e| corrupt(e.to_string()))?,
    })
}
