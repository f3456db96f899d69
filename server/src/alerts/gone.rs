//! The `Gone:` follow-up's decisions, without I/O: which alerts of one poll
//! to remember and for whom ([`track`]), whether every session of a
//! remembered alert has closed for its filters ([`all_closed`]), and the
//! follow-up jobs to queue when it has ([`followups`]).
//!
//! A session has closed for a filter set when it is no longer open for it
//! (its capacity for the dose fell to 0 or below `min_capacity`) or when it
//! is gone from the calendar.

use super::detect::filter_key;
use crate::delivery::{AlertJob, NewJob};
use crate::store::{Announced, Subscriber, TrackedAlert};
use redis_hack_shared::{Filters, Session, SubscriptionId, TargetKey, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The alerts of one poll to remember: one entry per distinct set of
/// announced sessions, with every user it went to. `jobs` names each
/// alerted user's job; users whose matched subscriptions all turned
/// follow-ups off are left out.
pub fn track(
    subscribers: &[Subscriber],
    no_followup: &HashSet<(UserId, SubscriptionId)>,
    openings: &HashMap<Filters, Vec<Session>>,
    jobs: &BTreeMap<UserId, String>,
    at_ms: u64,
) -> Vec<(TrackedAlert, Vec<Announced>)> {
    // Per user: the follow-up subscriptions and their distinct filter sets.
    let mut per_user: BTreeMap<&UserId, (Vec<SubscriptionId>, BTreeMap<String, &Filters>)> =
        BTreeMap::new();
    for sub in subscribers {
        let key = (sub.uid.clone(), sub.sid.clone());
        if !openings.contains_key(&sub.filters) || no_followup.contains(&key) {
            continue;
        }
        let entry = per_user.entry(&sub.uid).or_default();
        entry.0.push(sub.sid.clone());
        entry.1.insert(filter_key(&sub.filters), &sub.filters);
    }
    let mut groups: BTreeMap<Vec<String>, (TrackedAlert, Vec<Announced>)> = BTreeMap::new();
    for (uid, (sids, sets)) in per_user {
        let Some(job_id) = jobs.get(uid) else {
            continue;
        };
        let key: Vec<String> = sets.keys().cloned().collect();
        let group = groups.entry(key).or_insert_with(|| {
            let opened = sets
                .values()
                .map(|f| ((*f).clone(), openings[*f].clone()))
                .collect();
            (TrackedAlert { at_ms, opened }, Vec::new())
        });
        group.1.push(Announced {
            uid: uid.clone(),
            job_id: job_id.clone(),
            sids,
        });
    }
    groups.into_values().collect()
}

/// Whether every session `alert` announced has closed for its filter set,
/// given the sessions of the calendar just fetched.
pub fn all_closed(alert: &TrackedAlert, now: &HashMap<&str, &Session>) -> bool {
    alert.opened.iter().all(|(filters, sessions)| {
        sessions.iter().all(|s| {
            now.get(s.session_id.as_str())
                .is_none_or(|current| !current.is_open_for(filters))
        })
    })
}

/// Every distinct session `alert` announced, as last seen open.
pub fn announced_sessions(alert: &TrackedAlert) -> Vec<&Session> {
    let mut seen = HashSet::new();
    alert
        .opened
        .iter()
        .flat_map(|(_, sessions)| sessions)
        .filter(|s| seen.insert(s.session_id.as_str()))
        .collect()
}

/// The follow-up jobs for `alert`, one per user it was announced to, with
/// the sessions encoded once and shared.
pub fn followups(
    target: &TargetKey,
    alert: &TrackedAlert,
    members: &[Announced],
    now_ms: u64,
) -> Result<Vec<String>, serde_json::Error> {
    let sessions = serde_json::value::to_raw_value(&announced_sessions(alert))?;
    members
        .iter()
        .map(|m| {
            serde_json::to_string(&NewJob {
                id: AlertJob::new_id(),
                uid: &m.uid,
                target,
                sids: &m.sids,
                sessions: &sessions,
                fetched_at_ms: now_ms,
                upstream_date: None,
                detected_at_ms: now_ms,
                follows: Some(&m.job_id),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "gone_tests.rs"]
mod tests;
