//! What each alert announced, kept for its `Gone:` follow-up.
//!
//! - `{p}fu:{TARGET}`: hash alert group id -> `TrackedAlert` (JSON): when it
//!   was detected and, per filter set, the sessions it announced. One group
//!   covers every user of one poll whose alert announced the same sessions
//!   for the same filter sets, so a poll reads a handful of small entries
//!   however many users were alerted.
//! - `{p}fu:{TARGET}:{group}`: list of `uid job sid,sid...`: who got that
//!   alert, in which job (the email's Message-ID derives from it), for which
//!   subscriptions with follow-ups on. Read only when the group fires.
//!
//! Both are in the target's tag group (taking a group is one MULTI), and
//! both expire `FOLLOWUP_WINDOW` plus an hour after the last write; the
//! poller also drops groups older than the window.

use super::root_subs;
use super::{Store, StoreError, to_json};
use redis::AsyncCommands;
use redis_hack_shared::{Filters, Session, SubscriptionId, Target, TargetKey, UserId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An alert's sessions as announced, per filter set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedAlert {
    /// When it was detected, ms.
    #[serde(rename = "at")]
    pub at_ms: u64,
    /// Each filter set with the sessions announced as open for it.
    #[serde(rename = "o")]
    pub opened: Vec<(Filters, Vec<Session>)>,
}

/// One user's share of a tracked alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub uid: UserId,
    /// The alert job that announced it.
    pub job_id: String,
    /// The subscriptions it announced it for (follow-ups on).
    pub sids: Vec<SubscriptionId>,
}

impl Announced {
    fn encode(&self) -> String {
        let sids: Vec<&str> = self.sids.iter().map(SubscriptionId::as_str).collect();
        format!("{} {} {}", self.uid, self.job_id, sids.join(","))
    }

    fn decode(raw: &str) -> Option<Self> {
        let mut parts = raw.split(' ');
        let (uid, job_id, sids) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self {
            uid: UserId::parse(uid).ok()?,
            job_id: job_id.to_owned(),
            sids: sids
                .split(',')
                .map(SubscriptionId::parse)
                .collect::<Result<_, _>>()
                .ok()?,
        })
    }
}

/// Members per `RPUSH`.
const CHUNK: usize = 1000;

impl Store {
    /// Remembers `alert` (group `gid`) as announced to `members`, for `keep`.
    pub async fn track_alert(
        &self,
        target: &TargetKey,
        gid: &str,
        alert: &TrackedAlert,
        members: &[Announced],
        keep: Duration,
    ) -> Result<(), StoreError> {
        let (hash, list) = (self.tracked_key(target), self.members_key(target, gid));
        let ttl = (keep + Duration::from_secs(3600)).as_millis() as u64;
        let mut pipe = redis::pipe();
        pipe.hset(&hash, gid, to_json("a tracked alert", alert)?)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&hash)
            .arg(ttl)
            .ignore();
        for chunk in members.chunks(CHUNK) {
            let encoded: Vec<String> = chunk.iter().map(Announced::encode).collect();
            pipe.rpush(&list, encoded).ignore();
        }
        pipe.cmd("PEXPIRE").arg(&list).arg(ttl).ignore();
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// Every alert of `target` awaiting its follow-up, by group id; entries
    /// this version cannot read are left out.
    pub async fn tracked_alerts(
        &self,
        target: &TargetKey,
    ) -> Result<Vec<(String, TrackedAlert)>, StoreError> {
        let raw: Vec<(String, String)> = self.conn().hgetall(self.tracked_key(target)).await?;
        Ok(raw
            .into_iter()
            .filter_map(|(gid, json)| Some((gid, serde_json::from_str(&json).ok()?)))
            .collect())
    }

    /// Takes group `gid` away (atomically) and returns who it was announced to.
    pub async fn take_announced(
        &self,
        target: &TargetKey,
        gid: &str,
    ) -> Result<Vec<Announced>, StoreError> {
        let list = self.members_key(target, gid);
        let (members,): (Vec<String>,) = redis::pipe()
            .atomic()
            .lrange(&list, 0, -1)
            .del(&list)
            .ignore()
            .hdel(self.tracked_key(target), gid)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(members
            .iter()
            .filter_map(|m| Announced::decode(m))
            .collect())
    }

    /// Forgets the groups `gids` of `target` without following them up.
    pub async fn forget_tracked(
        &self,
        target: &TargetKey,
        gids: &[String],
    ) -> Result<(), StoreError> {
        if gids.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.hdel(self.tracked_key(target), gids).ignore();
        for gid in gids {
            pipe.del(self.members_key(target, gid)).ignore();
        }
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// What subscription `sid` of `uid` watches (for feed events, which
    /// name the target in full); `None` when it is gone.
    pub async fn subscription_target(
        &self,
        uid: &UserId,
        sid: &SubscriptionId,
    ) -> Result<Option<Target>, StoreError> {
        let Some(path) = root_subs::sub_path(sid) else {
            return Ok(None);
        };
        let raw: Option<String> = redis::cmd("JSON.GET")
            .arg(self.user_key(uid))
            .arg(path)
            .query_async(&mut self.conn())
            .await?;
        Ok(raw.as_deref().and_then(root_subs::target_of_sub))
    }

    fn tracked_key(&self, target: &TargetKey) -> String {
        self.tagged("fu", &target.to_string(), "")
    }

    fn members_key(&self, target: &TargetKey, gid: &str) -> String {
        self.tagged("fu", &target.to_string(), &format!(":{gid}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_reads_back_as_written() {
        let a = Announced {
            uid: UserId::parse("u1").unwrap(),
            job_id: "abc".into(),
            sids: vec![
                SubscriptionId::parse("s1").unwrap(),
                SubscriptionId::parse("s2").unwrap(),
            ],
        };
        assert_eq!(Announced::decode(&a.encode()), Some(a));
        assert_eq!(Announced::decode("u1 abc"), None);
    }
}
