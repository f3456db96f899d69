//! The simulated world: centres and sessions per district, generated from a
//! seed (so a run is repeatable), all closed at first. Tests and the demo open,
//! change and close capacity through the control endpoints; every change
//! bumps the district's version, which its ETag and Last-Modified follow.

use crate::pincodes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One session of one centre.
#[derive(Debug, Clone, Serialize)]
pub struct SimSession {
    pub session_id: String,
    pub date: String,
    pub available_capacity: u32,
    pub available_capacity_dose1: u32,
    pub available_capacity_dose2: u32,
    pub min_age_limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_limit: Option<u32>,
    pub vaccine: String,
    pub slots: Vec<String>,
}

/// One centre, in the shape the real API used.
#[derive(Debug, Clone, Serialize)]
pub struct Centre {
    pub center_id: u64,
    pub name: String,
    pub address: String,
    pub district_name: String,
    pub pincode: u32,
    pub fee_type: String,
    pub sessions: Vec<SimSession>,
}

/// A district's centres and when they last changed.
#[derive(Debug, Clone)]
pub struct District {
    pub centres: Vec<Centre>,
    pub changed: SystemTime,
}

pub struct World {
    seed: u64,
    names: BTreeMap<u32, String>,
    districts: BTreeMap<u32, District>,
}

const VACCINES: [&str; 3] = ["COVISHIELD", "COVAXIN", "SPUTNIK V"];

impl World {
    pub fn new(seed: u64, names: BTreeMap<u32, String>) -> Self {
        Self {
            seed,
            names,
            districts: BTreeMap::new(),
        }
    }

    /// The district's centres, generated on first use: three centres, each with a
    /// closed session per day for a week from `first_day` (days since the epoch).
    pub fn district(&mut self, id: u32, first_day: i64) -> Option<&mut District> {
        let name = self.names.get(&id)?.clone();
        let seed = self.seed;
        Some(
            self.districts
                .entry(id)
                .or_insert_with(|| generate(seed, id, &name, first_day)),
        )
    }

    /// The centres with pincode `pin` (their districts generated on first use,
    /// like `district`) and when the newest of those districts last changed.
    pub fn by_pincode(&mut self, pin: u32, first_day: i64) -> (Vec<Centre>, SystemTime) {
        let ids: Vec<u32> = self
            .names
            .keys()
            .copied()
            .filter(|&id| (0..CENTRES).any(|i| pincode(id, i) == pin))
            .collect();
        let mut changed = SystemTime::UNIX_EPOCH;
        let mut centres = Vec::new();
        for id in ids {
            if let Some(d) = self.district(id, first_day) {
                changed = changed.max(d.changed);
                centres.extend(d.centres.iter().filter(|c| c.pincode == pin).cloned());
            }
        }
        (centres, changed)
    }
}

/// Centres per district.
const CENTRES: usize = 3;

/// Centre `centre`'s pincode in district `id`: the real one where
/// `pincodes` knows it, else one made up from the ids (never a real one).
pub fn pincode(id: u32, centre: usize) -> u32 {
    if let Some(pin) = pincodes::real(id, centre) {
        return pin;
    }
    let made_up = |n: u32| 110_000 + ((id * 97 + centre as u32 * 13 + n) % 740_000);
    (0..)
        .map(made_up)
        .find(|pin| !pincodes::is_real(*pin))
        .expect("a few made-up pincodes are not real ones")
}

fn generate(seed: u64, id: u32, name: &str, first_day: i64) -> District {
    let mut rng = seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let centres = (0..CENTRES as u64)
        .map(|i| {
            let center_id = u64::from(id) * 100 + i;
            let vaccine = VACCINES[(next() % 3) as usize];
            let paid = next() % 4 == 0;
            let sessions = (0..7)
                .map(|day| SimSession {
                    session_id: format!("{center_id}-{day}"),
                    date: date_of(first_day + day),
                    available_capacity: 0,
                    available_capacity_dose1: 0,
                    available_capacity_dose2: 0,
                    min_age_limit: if i == 2 { 45 } else { 18 },
                    max_age_limit: None,
                    vaccine: vaccine.to_owned(),
                    slots: vec![
                        "09:00AM-11:00AM".into(),
                        "11:00AM-01:00PM".into(),
                        "02:00PM-04:00PM".into(),
                    ],
                })
                .collect();
            Centre {
                center_id,
                name: format!(
                    "{name} {} Centre {}",
                    ["PHC", "CHC", "District Hospital"][i as usize],
                    i + 1
                ),
                address: format!(
                    "{} Road, {name}",
                    ["Station", "Hospital", "Market"][i as usize]
                ),
                district_name: name.to_owned(),
                pincode: pincode(id, i as usize),
                fee_type: if paid { "Paid".into() } else { "Free".into() },
                sessions,
            }
        })
        .collect();
    District {
        centres,
        changed: whole_seconds(SystemTime::now()),
    }
}

/// `DD-MM-YYYY` for days since the epoch.
pub fn date_of(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{d:02}-{m:02}-{y}")
}

/// Days since the epoch of a `DD-MM-YYYY` date.
pub fn days_of(date: &str) -> Option<i64> {
    let mut p = date.split('-');
    let (d, m, y): (i64, i64, i64) = (
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
        p.next()?.parse().ok()?,
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today in India (UTC+5:30), as days since the epoch.
pub fn india_today() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    ((secs + 19_800) / 86_400) as i64
}

/// HTTP dates carry whole seconds; keep change times comparable with them.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for days in [0, 11_000, 18_779, 20_000] {
            assert_eq!(days_of(&date_of(days)), Some(days));
        }
        assert_eq!(date_of(18_779), "01-06-2021");
    }

    #[test]
    fn the_same_seed_builds_the_same_world() {
        let names = BTreeMap::from([(97, "Patna".to_owned())]);
        let mut a = World::new(7, names.clone());
        let mut b = World::new(7, names);
        let (a, b) = (
            a.district(97, 18_779).unwrap().clone(),
            b.district(97, 18_779).unwrap().clone(),
        );
        let key = |d: &District| {
            d.centres
                .iter()
                .map(|c| (c.pincode, c.fee_type.clone(), c.sessions[0].vaccine.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_eq!(a.centres.len(), 3);
        assert!(
            a.centres
                .iter()
                .all(|c| c.sessions.len() == 7
                    && c.sessions.iter().all(|s| s.available_capacity == 0))
        );
        assert!(
            a.centres
                .iter()
                .all(|c| (100_000..1_000_000).contains(&c.pincode))
        );
    }

    fn every_district() -> BTreeMap<u32, String> {
        crate::sessions::district_names()
    }

    #[test]
    fn patnas_first_centre_has_the_real_pincode_of_patna_gpo() {
        let mut world = World::new(1, every_district());
        let patna = world.district(97, 18_779).unwrap().clone();
        let pins: Vec<u32> = patna.centres.iter().map(|c| c.pincode).collect();
        assert_eq!(pins, [800_001, 800_004, 800_020]);
        let (found, _) = world.by_pincode(800_001, 18_779);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].district_name, "Patna");
    }

    #[test]
    fn no_two_centres_anywhere_share_a_pincode() {
        let names = every_district();
        let mut seen = std::collections::HashMap::new();
        for &id in names.keys() {
            for i in 0..CENTRES {
                let pin = pincode(id, i);
                assert!((100_000..1_000_000).contains(&pin), "{pin}");
                if let Some(other) = seen.insert(pin, (id, i)) {
                    panic!("pincode {pin} of district {id} centre {i} is also {other:?}'s");
                }
            }
        }
        assert_eq!(seen.len(), names.len() * CENTRES);
    }

    #[test]
    fn a_pincode_look_up_finds_a_district_nobody_asked_for_yet() {
        let mut world = World::new(1, every_district());
        let (found, changed) = world.by_pincode(700_016, 18_779);
        assert_eq!(found.len(), 1, "Kolkata's Park Street centre");
        assert_eq!(found[0].district_name, "Kolkata");
        assert!(changed > SystemTime::UNIX_EPOCH);
        let (none, changed) = world.by_pincode(999_999, 18_779);
        assert!(none.is_empty());
        assert_eq!(changed, SystemTime::UNIX_EPOCH);
    }
}
