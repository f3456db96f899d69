//! Detecting openings: which sessions just became available for which
//! subscription, given what the previous poll saw.
//!
//! A session is *open* for a subscription when its capacity for the
//! subscription's dose reaches `min_capacity` and its age, vaccine and fee
//! match (`Session::is_open_for`). An *opening* is a session that is open now
//! and was not at the previous poll. A session already alerted once that
//! closes and reopens alerts again only if its capacity rose by more than
//! `margin` (cancellations free a dose or two all day) and at least `realert`
//! after the last alert. Sessions dated before `today` are ignored.

use redis_hack_shared::{Filters, Session};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// What the previous poll saw of one session (stored compactly per district).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    #[serde(rename = "c")]
    pub capacity: u32,
    #[serde(rename = "1")]
    pub dose1: u32,
    #[serde(rename = "2")]
    pub dose2: u32,
    /// When an alert last went out for this session, per filter set (`filter_key`), in ms.
    #[serde(rename = "a", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alerted: BTreeMap<String, u64>,
}

/// A short, stable name for a filter set, e.g. `18|2|COVAXIN|free|5`.
pub fn filter_key(f: &Filters) -> String {
    let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    format!(
        "{}|{}|{}|{}|{}",
        num(f.age.map(u32::from)),
        num(f.dose.map(u32::from)),
        f.vaccine.as_ref().map_or("", |v| v.as_str()),
        f.fee.map(|x| x.to_string()).unwrap_or_default(),
        num(f.min_capacity.map(|c| c.get())),
    )
}

/// The knobs of detection.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// A reopened session must have gained more than this many slots.
    pub margin: u32,
    /// ... and the last alert for it must be at least this old.
    pub realert: Duration,
}

/// The result of one poll of one district.
pub struct Detection {
    /// For each distinct filter set, the sessions that just opened for it.
    pub openings: HashMap<Filters, Vec<Session>>,
    /// What to remember for the next poll.
    pub seen: HashMap<String, Seen>,
}

/// Compares `sessions` with `before` for every filter set in `filter_sets`.
/// `today` is `YYYYMMDD` as a number, so dates compare in order.
pub fn detect(
    sessions: &[Session],
    before: &HashMap<String, Seen>,
    filter_sets: &[Filters],
    rules: Rules,
    today: u32,
    now_ms: u64,
) -> Detection {
    let mut openings: HashMap<Filters, Vec<Session>> = HashMap::new();
    let mut seen = HashMap::new();
    for session in sessions
        .iter()
        .filter(|s| date_key(&s.date).is_some_and(|d| d >= today))
    {
        let previous = before.get(&session.session_id);
        let mut alerted = previous.map(|p| p.alerted.clone()).unwrap_or_default();
        for filters in filter_sets {
            if opened(session, previous, filters, rules, now_ms) {
                openings
                    .entry(filters.clone())
                    .or_default()
                    .push(session.clone());
                alerted.insert(filter_key(filters), now_ms);
            }
        }
        // Forget alert times of filter sets nobody holds any more.
        alerted.retain(|key, _| filter_sets.iter().any(|f| filter_key(f) == *key));
        let now_seen = Seen {
            capacity: session.capacity,
            dose1: session.capacity_dose1,
            dose2: session.capacity_dose2,
            alerted,
        };
        seen.insert(session.session_id.clone(), now_seen);
    }
    Detection { openings, seen }
}

fn opened(
    session: &Session,
    previous: Option<&Seen>,
    filters: &Filters,
    rules: Rules,
    now_ms: u64,
) -> bool {
    if !session.is_open_for(filters) {
        return false;
    }
    let Some(p) = previous else {
        return true; // first sight of this session (or of the whole district)
    };
    let before = Session {
        capacity: p.capacity,
        capacity_dose1: p.dose1,
        capacity_dose2: p.dose2,
        ..session.clone()
    };
    if before.is_open_for(filters) {
        return false; // it stayed open: alerted already
    }
    match p.alerted.get(&filter_key(filters)) {
        None => true,
        Some(&at) => {
            let gained = session
                .capacity_for(filters.dose)
                .saturating_sub(before.capacity_for(filters.dose));
            gained > rules.margin && now_ms.saturating_sub(at) >= rules.realert.as_millis() as u64
        }
    }
}

/// `DD-MM-YYYY` as `YYYYMMDD`.
pub fn date_key(date: &str) -> Option<u32> {
    let mut parts = date.split('-');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    let (d, m, y): (u32, u32, u32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    ((1..=31).contains(&d) && (1..=12).contains(&m)).then_some(y * 10_000 + m * 100 + d)
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
