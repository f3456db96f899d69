//! The poller's decisions, without I/O: in which order to claim the watched
//! targets and how often to poll each ([`Schedule`]), which filter sets to
//! detect for, and who gets which alert ([`plan_jobs`], [`encode_jobs`]).

use super::PollConfig;
use super::schedule::intervals;
use crate::alerts::detect::filter_key;
use crate::delivery::{AlertJob, NewJob};
use crate::store::Subscriber;
use redis_hack_shared::{Filters, Session, SubscriptionId, TargetKey, UserId};
use serde_json::value::RawValue;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// One round's schedule: the watched targets heaviest first, each with its
/// poll interval.
pub struct Schedule {
    pub order: Vec<TargetKey>,
    every: HashMap<TargetKey, Duration>,
    longest: Duration,
}

impl Schedule {
    /// For `watched` targets with their subscription counts. Heaviest first:
    /// when more targets are due than the budget allows, the ones that keep
    /// the most subscribers waiting are polled first.
    pub fn new(watched: &[(TargetKey, f64)], config: &PollConfig) -> Self {
        let weights: Vec<f64> = watched.iter().map(|(_, w)| *w).collect();
        let every = watched
            .iter()
            .map(|(t, _)| t.clone())
            .zip(intervals(
                &weights,
                config.budget,
                config.min_interval,
                config.max_interval,
            ))
            .collect();
        let mut by_weight: Vec<&(TargetKey, f64)> = watched.iter().collect();
        by_weight.sort_by(|a, b| b.1.total_cmp(&a.1));
        Self {
            order: by_weight.into_iter().map(|(t, _)| t.clone()).collect(),
            every,
            longest: config.max_interval,
        }
    }

    /// How often `target` is polled (a target watched only since the round
    /// began gets the longest interval).
    pub fn every(&self, target: &TargetKey) -> Duration {
        self.every.get(target).copied().unwrap_or(self.longest)
    }
}

/// Every distinct filter set among `subscribers`: detection runs once per set.
pub fn filter_sets(subscribers: &[Subscriber]) -> Vec<Filters> {
    let mut sets: Vec<Filters> = subscribers.iter().map(|s| s.filters.clone()).collect();
    sets.sort_by_key(filter_key);
    sets.dedup();
    sets
}

/// One user's alert from one poll: their matched subscriptions, and every
/// session newly open for any of them (each once).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UserAlert<'a> {
    pub sids: Vec<SubscriptionId>,
    pub sessions: Vec<&'a Session>,
}

/// One alert per user who holds a subscription whose filter set saw openings.
pub fn plan_jobs<'a>(
    subscribers: &[Subscriber],
    openings: &'a HashMap<Filters, Vec<Session>>,
) -> BTreeMap<UserId, UserAlert<'a>> {
    let mut per_user: BTreeMap<UserId, UserAlert<'a>> = BTreeMap::new();
    for sub in subscribers {
        let Some(opened) = openings.get(&sub.filters) else {
            continue;
        };
        let alert = per_user.entry(sub.uid.clone()).or_default();
        alert.sids.push(sub.sid.clone());
        for s in opened {
            if !alert.sessions.iter().any(|x| x.session_id == s.session_id) {
                alert.sessions.push(s);
            }
        }
    }
    per_user
}

/// When the alerts were found and from what fetch.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub target: &'a TargetKey,
    pub fetched_at_ms: u64,
    pub upstream_date: Option<&'a str>,
    pub detected_at_ms: u64,
}

/// The ids and queue bodies of `alerts`, in their order. Each distinct set of sessions is encoded
/// once and shared: a fan-out to 100,000 users would otherwise encode the
/// same sessions 100,000 times (BENCHMARKS.md).
pub fn encode_jobs(
    alerts: &BTreeMap<UserId, UserAlert<'_>>,
    found: Found<'_>,
) -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut encoded: HashMap<Vec<&str>, Box<RawValue>> = HashMap::new();
    let mut bodies = Vec::with_capacity(alerts.len());
    for (uid, alert) in alerts {
        let ids: Vec<&str> = alert
            .sessions
            .iter()
            .map(|s| s.session_id.as_str())
            .collect();
        let sessions = match encoded.entry(ids) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(serde_json::value::to_raw_value(&alert.sessions)?),
        };
        let id = AlertJob::new_id();
        let body = serde_json::to_string(&NewJob {
            id: id.clone(),
            uid,
            target: found.target,
            sids: &alert.sids,
            sessions,
            fetched_at_ms: found.fetched_at_ms,
            upstream_date: found.upstream_date,
            detected_at_ms: found.detected_at_ms,
            follows: None,
        })?;
        bodies.push((id, body));
    }
    Ok(bodies)
}

/// How many distinct sessions opened, whatever filter sets they opened for.
pub fn distinct_sessions(openings: &HashMap<Filters, Vec<Session>>) -> usize {
    let ids: HashSet<&str> = openings
        .values()
        .flatten()
        .map(|s| s.session_id.as_str())
        .collect();
    ids.len()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
