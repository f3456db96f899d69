//! CoWIN's `calendarByDistrict` / `calendarByPin` payload, parsed tolerantly
//! and mapped to `Session`: optional fields may be missing, `pincode` may be a
//! number or a string, slots may be strings or objects, unknown fields are
//! ignored, and a session listed under two centres is kept once.

use redis_hack_shared::{DistrictId, FeeType, Session};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Deserialize)]
struct Calendar {
    #[serde(default)]
    centers: Vec<Center>,
}

#[derive(Deserialize)]
struct Center {
    center_id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    district_id: Option<u32>,
    #[serde(default)]
    pincode: Value,
    #[serde(default)]
    fee_type: String,
    #[serde(default)]
    vaccine_fees: Vec<VaccineFee>,
    #[serde(default)]
    sessions: Vec<RawSession>,
}

#[derive(Deserialize)]
struct VaccineFee {
    #[serde(default)]
    vaccine: String,
    #[serde(default)]
    fee: Value,
}

#[derive(Deserialize)]
struct RawSession {
    session_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    available_capacity: f64,
    #[serde(default)]
    available_capacity_dose1: Option<f64>,
    #[serde(default)]
    available_capacity_dose2: Option<f64>,
    #[serde(default)]
    min_age_limit: u32,
    #[serde(default)]
    max_age_limit: Option<u32>,
    #[serde(default)]
    vaccine: String,
    #[serde(default)]
    slots: Vec<Value>,
}

/// Parses a calendar body; `district_id` fills in centres that do not say theirs.
pub fn parse(body: &[u8], district_id: DistrictId) -> Result<Vec<Session>, serde_json::Error> {
    let value: Value = serde_json::from_slice(body)?;
    if !value.is_object() {
        // serde would read a JSON array as a struct; a calendar is always an object.
        return Err(serde::de::Error::custom("a calendar is a JSON object"));
    }
    let calendar = Calendar::deserialize(value)?;
    let mut seen = HashSet::new();
    let mut sessions = Vec::new();
    for center in calendar.centers {
        let paid = center.fee_type.eq_ignore_ascii_case("paid");
        for raw in &center.sessions {
            if !seen.insert(raw.session_id.clone()) {
                continue;
            }
            sessions.push(to_session(&center, raw, paid, district_id));
        }
    }
    Ok(sessions)
}

fn to_session(center: &Center, raw: &RawSession, paid: bool, district_id: DistrictId) -> Session {
    let total = count(raw.available_capacity);
    let fee = center
        .vaccine_fees
        .iter()
        .find(|f| f.vaccine.eq_ignore_ascii_case(&raw.vaccine))
        .map(|f| text_of(&f.fee))
        .filter(|f| !f.is_empty());
    Session {
        session_id: raw.session_id.clone(),
        center_id: center.center_id,
        center_name: center.name.trim().to_owned(),
        address: center.address.trim().to_owned(),
        pincode: text_of(&center.pincode),
        district_id: center.district_id.map_or(district_id, DistrictId::new),
        date: raw.date.clone(),
        vaccine: raw.vaccine.trim().to_uppercase(),
        min_age: raw.min_age_limit,
        max_age: raw.max_age_limit,
        capacity: total,
        // Old payloads have no per-dose split: then either dose may take the whole capacity.
        capacity_dose1: raw.available_capacity_dose1.map_or(total, count),
        capacity_dose2: raw.available_capacity_dose2.map_or(total, count),
        fee_type: if paid { FeeType::Paid } else { FeeType::Free },
        fee,
        slots: raw.slots.iter().map(slot_text).collect(),
    }
}

/// Capacities arrive as integers or floats; negative or absurd values become 0.
fn count(v: f64) -> u32 {
    if v.is_finite() && v > 0.0 {
        v.min(u32::MAX as f64) as u32
    } else {
        0
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `"FORENOON"` or `{"time": "09:00AM-11:00AM", "seats": 3}`.
fn slot_text(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let time = o.get("time").map(text_of).unwrap_or_default();
            match o.get("seats").and_then(Value::as_u64) {
                Some(seats) => format!("{time} ({seats} seats)"),
                None => time,
            }
        }
        other => text_of(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped like the real API's answers, quirks included.
    const BODY: &str = r#"{"centers":[
      {"center_id":561,"name":"PHC Danapur ","name_l":"","address":"Main Road","state_name":"Bihar",
       "district_name":"Patna","pincode":801503,"lat":25,"long":85.05,"from":"09:00:00","to":"17:00:00",
       "fee_type":"Paid","vaccine_fees":[{"vaccine":"COVAXIN","fee":"1410"}],
       "sessions":[{"session_id":"s-1","date":"01-06-2021","available_capacity":12,"available_capacity_dose1":10,
         "available_capacity_dose2":2,"min_age_limit":18,"max_age_limit":44,"allow_all_age":false,
         "vaccine":"covaxin","slots":["09:00AM-11:00AM",{"time":"11:00AM-01:00PM","seats":4}],"extra":true}]},
      {"center_id":562,"name":"Sub centre","address":"","pincode":"800001","fee_type":"Free",
       "sessions":[{"session_id":"s-1","date":"01-06-2021","available_capacity":12,"min_age_limit":18,"vaccine":"COVAXIN"},
                   {"session_id":"s-2","date":"02-06-2021","available_capacity":7.0,"min_age_limit":45,"vaccine":"COVISHIELD"}]}
    ]}"#;

    #[test]
    fn real_shaped_payloads_map_to_sessions() {
        let sessions = parse(BODY.as_bytes(), DistrictId::new(97)).unwrap();
        assert_eq!(
            sessions.len(),
            2,
            "s-1 listed under two centres is kept once"
        );
        let s1 = &sessions[0];
        assert_eq!(
            (s1.center_name.as_str(), s1.pincode.as_str()),
            ("PHC Danapur", "801503")
        );
        assert_eq!(
            (s1.capacity_dose1, s1.capacity_dose2, s1.max_age),
            (10, 2, Some(44))
        );
        assert_eq!(
            (s1.vaccine.as_str(), s1.fee.as_deref()),
            ("COVAXIN", Some("1410"))
        );
        assert_eq!(s1.fee_type, FeeType::Paid);
        assert_eq!(s1.slots, ["09:00AM-11:00AM", "11:00AM-01:00PM (4 seats)"]);
        let s2 = &sessions[1];
        assert_eq!(
            (s2.capacity, s2.capacity_dose1, s2.capacity_dose2),
            (7, 7, 7)
        );
        assert_eq!(
            (s2.district_id, s2.fee_type, s2.max_age),
            (DistrictId::new(97), FeeType::Free, None)
        );
    }

    #[test]
    fn bodies_that_are_not_a_calendar_are_errors_not_panics() {
        for bad in [
            "<html>502 Bad Gateway</html>",
            "",
            "[]",
            r#"{"centers":[{"name":"no id"}]}"#,
        ] {
            assert!(parse(bad.as_bytes(), DistrictId::new(1)).is_err(), "{bad}");
        }
        assert!(
            parse(b"{}", DistrictId::new(1)).unwrap().is_empty(),
            "no centres is an empty calendar"
        );
    }
}
