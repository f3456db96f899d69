//! `Session`: one vaccination session at one centre on one day, in the
//! project's own shape (the upstream client maps CoWIN's JSON to it), and
//! how a subscription's filters match it.

use crate::domain::{AgeLimit, DistrictId, Dose, FeeType, Filters};
use serde::{Deserialize, Serialize};

/// A session as redis-hack sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub session_id: String,
    pub center_id: u64,
    pub center_name: String,
    pub address: String,
    /// As published; usually six digits, but upstream data is not always clean.
    pub pincode: String,
    pub district_id: DistrictId,
    /// `DD-MM-YYYY`, as CoWIN writes dates.
    pub date: String,
    pub vaccine: String,
    pub min_age: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    pub capacity: u32,
    pub capacity_dose1: u32,
    pub capacity_dose2: u32,
    pub fee_type: FeeType,
    /// The fee for this session's vaccine, when the centre is paid and says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<String>,
    #[serde(default)]
    pub slots: Vec<String>,
}

impl Session {
    /// The capacity that counts for `dose` (the total when no dose is asked for).
    pub fn capacity_for(&self, dose: Option<Dose>) -> u32 {
        match dose {
            Some(Dose::First) => self.capacity_dose1,
            Some(Dose::Second) => self.capacity_dose2,
            None => self.capacity,
        }
    }

    /// Whether this session is open for a subscriber with `filters`.
    pub fn is_open_for(&self, filters: &Filters) -> bool {
        let min_capacity = filters.min_capacity.map_or(1, |c| c.get());
        let age_ok = filters.age.is_none_or(|age| match age {
            // An 18+ subscriber can book sessions that start at 18 (CoWIN's 18-44 band).
            AgeLimit::Eighteen => self.min_age <= 18,
            AgeLimit::FortyFive => self.min_age <= 45 && self.max_age.is_none_or(|max| max >= 45),
        });
        self.capacity_for(filters.dose) >= min_capacity
            && age_ok
            && filters
                .vaccine
                .as_ref()
                .is_none_or(|v| v.as_str().eq_ignore_ascii_case(&self.vaccine))
            && filters.fee.is_none_or(|f| f == self.fee_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            session_id: "abc".into(),
            center_id: 1,
            center_name: "PHC Danapur".into(),
            address: "Main Road".into(),
            pincode: "801503".into(),
            district_id: DistrictId::new(97),
            date: "01-06-2021".into(),
            vaccine: "COVISHIELD".into(),
            min_age: 18,
            max_age: Some(44),
            capacity: 12,
            capacity_dose1: 10,
            capacity_dose2: 2,
            fee_type: FeeType::Free,
            fee: None,
            slots: vec!["09:00AM-11:00AM".into()],
        }
    }

    fn filters(json: &str) -> Filters {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn no_filters_match_any_session_with_a_free_slot() {
        assert!(session().is_open_for(&Filters::default()));
        let full = Session {
            capacity: 0,
            capacity_dose1: 0,
            capacity_dose2: 0,
            ..session()
        };
        assert!(!full.is_open_for(&Filters::default()));
    }

    #[test]
    fn dose_and_min_capacity_look_at_the_right_capacity() {
        assert!(session().is_open_for(&filters(r#"{"dose":1,"min_capacity":10}"#)));
        assert!(!session().is_open_for(&filters(r#"{"dose":2,"min_capacity":3}"#)));
        assert!(session().is_open_for(&filters(r#"{"dose":2}"#)));
        assert!(!session().is_open_for(&filters(r#"{"min_capacity":13}"#)));
    }

    #[test]
    fn age_vaccine_and_fee_must_agree() {
        assert!(session().is_open_for(&filters(
            r#"{"age":18,"vaccine":"covishield","fee":"free"}"#
        )));
        assert!(
            !session().is_open_for(&filters(r#"{"age":45}"#)),
            "an 18-44 session is not for 45+"
        );
        let senior = Session {
            min_age: 45,
            max_age: None,
            ..session()
        };
        assert!(senior.is_open_for(&filters(r#"{"age":45}"#)));
        assert!(!senior.is_open_for(&filters(r#"{"age":18}"#)));
        assert!(!session().is_open_for(&filters(r#"{"vaccine":"COVAXIN"}"#)));
        assert!(!session().is_open_for(&filters(r#"{"fee":"paid"}"#)));
    }
}
