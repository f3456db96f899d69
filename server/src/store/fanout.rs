//! Reading a target's subscribers for fan-out: `HGETALL` on each of the 16
//! parts of the target's index (`index_entry`) gives every uid and
//! subscription id with its filters, and on its mode hash (`arming`) which of
//! them are disarmed or want no follow-up, all in one round trip (all carry
//! the target's tag, so one pipeline holds them on a cluster too). An entry
//! that cannot be read is left out with a warning, so one bad entry does not
//! cost the target's other subscribers their alert (`check --repair`
//! removes it). Disarmed one-shot subscriptions are left out. An entry
//! may outlive its subscription (a crash between an unsubscribe's steps,
//! `subscribe`): the email worker, which opens the user's document anyway,
//! sends nothing for it and deletes it.

use super::index_entry;
use super::{Store, StoreError};
use redis_hack_shared::{Filters, SubscriptionId, TargetKey, UserId};
use std::collections::{HashMap, HashSet};

/// One part of an index as read: field -> value.
type Part = HashMap<Vec<u8>, Vec<u8>>;

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
        let mut pipe = redis::pipe();
        pipe.hgetall(self.mode_key(target));
        for part in self.index_parts(target) {
            pipe.hgetall(part);
        }
        let (modes, parts): (HashMap<String, String>, Vec<Part>) = {
            let mut replies: Vec<redis::Value> = pipe.query_async(&mut self.conn()).await?;
            let odd = |e: redis::ParsingError| {
                StoreError::Corrupt(format!("the index of {target} as read: {e}"))
            };
            let modes = redis::from_redis_value(replies.remove(0)).map_err(odd)?;
            let parts = replies
                .into_iter()
                .map(redis::from_redis_value)
                .collect::<Result<_, _>>()
                .map_err(odd)?;
            (modes, parts)
        };
        let mut out = FanOut::default();
        for (field, value) in parts.into_iter().flatten() {
            let Some(sub) = parse(&field, &value) else {
                tracing::warn!(%target, field = %hex::encode(&field), "an unreadable index entry is left out of the fan-out; `redis-hack-server check --repair` removes it");
                continue;
            };
            let flags = modes
                .get(&format!("{}:{}", sub.uid, sub.sid))
                .map_or("", String::as_str);
            if flags.contains('d') {
                continue;
            }
            if flags.contains('n') {
                out.no_followup.insert((sub.uid.clone(), sub.sid.clone()));
            }
            out.subscribers.push(sub);
        }
        Ok(out)
    }
}

fn parse(field: &[u8], value: &[u8]) -> Option<Subscriber> {
    let (uid, sid) = index_entry::parse_field(field)?;
    let filters = index_entry::parse_value(value)?;
    Some(Subscriber { uid, sid, filters })
}
