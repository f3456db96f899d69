//! Subscription filters: which sessions are worth an alert.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a filter value is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("age must be 18 or 45, not {0}")]
    Age(u32),
    #[error("dose must be 1 or 2, not {0}")]
    Dose(u32),
    #[error("unknown vaccine '{0}'; known vaccines: {known}", known = Vaccine::KNOWN.join(", "))]
    Vaccine(String),
    #[error("min_capacity must be between 1 and {max}, not {0}", max = MinCapacity::MAX)]
    MinCapacity(u32),
}

/// The minimum age a session accepts, as CoWIN publishes it (18+ or 45+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum AgeLimit {
    Eighteen,
    FortyFive,
}

impl TryFrom<u32> for AgeLimit {
    type Error = FilterError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        match v {
            18 => Ok(Self::Eighteen),
            45 => Ok(Self::FortyFive),
            other => Err(FilterError::Age(other)),
        }
    }
}

impl From<AgeLimit> for u32 {
    fn from(v: AgeLimit) -> Self {
        match v {
            AgeLimit::Eighteen => 18,
            AgeLimit::FortyFive => 45,
        }
    }
}

/// Which dose a subscriber needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum Dose {
    First,
    Second,
}

impl TryFrom<u32> for Dose {
    type Error = FilterError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        match v {
            1 => Ok(Self::First),
            2 => Ok(Self::Second),
            other => Err(FilterError::Dose(other)),
        }
    }
}

impl From<Dose> for u32 {
    fn from(v: Dose) -> Self {
        match v {
            Dose::First => 1,
            Dose::Second => 2,
        }
    }
}

/// Whether a session charges a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FeeType {
    Free,
    Paid,
}

impl fmt::Display for FeeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Free => "free",
            Self::Paid => "paid",
        })
    }
}

/// A vaccine name as CoWIN spells it (upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vaccine(String);

impl Vaccine {
    /// The vaccines CoWIN listed.
    pub const KNOWN: [&'static str; 6] = [
        "COVISHIELD",
        "COVAXIN",
        "SPUTNIK V",
        "ZYCOV-D",
        "CORBEVAX",
        "COVOVAX",
    ];

    /// Accepts a known vaccine name in any case, with surrounding spaces.
    pub fn parse(raw: &str) -> Result<Self, FilterError> {
        let upper = raw.trim().to_uppercase();
        Self::KNOWN
            .iter()
            .find(|k| **k == upper)
            .map(|k| Self((*k).to_owned()))
            .ok_or_else(|| FilterError::Vaccine(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Vaccine {
    type Error = FilterError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Vaccine> for String {
    fn from(value: Vaccine) -> Self {
        value.0
    }
}

/// The smallest number of open slots worth an alert (1 to 10,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct MinCapacity(u32);

impl MinCapacity {
    pub const MAX: u32 = 10_000;

    pub fn parse(v: u32) -> Result<Self, FilterError> {
        if (1..=Self::MAX).contains(&v) {
            Ok(Self(v))
        } else {
            Err(FilterError::MinCapacity(v))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for MinCapacity {
    type Error = FilterError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::parse(v)
    }
}

impl From<MinCapacity> for u32 {
    fn from(v: MinCapacity) -> Self {
        v.0
    }
}

/// Optional filters of a subscription; an absent filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<AgeLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<Dose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vaccine: Option<Vaccine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<FeeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<MinCapacity>,
}

impl fmt::Display for Filters {
    /// A compact human summary, e.g. `18+, dose 1, COVAXIN, free, >=5`; when
    /// empty, what that means to a newcomer: `all ages, doses and vaccines`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(a) = self.age {
            parts.push(format!("{}+", u32::from(a)));
        }
        if let Some(d) = self.dose {
            parts.push(format!("dose {}", u32::from(d)));
        }
        if let Some(v) = &self.vaccine {
            parts.push(v.as_str().to_owned());
        }
        if let Some(fee) = self.fee {
            parts.push(fee.to_string());
        }
        if let Some(c) = self.min_capacity {
            parts.push(format!(">={}", c.get()));
        }
        if parts.is_empty() {
            f.write_str("all ages, doses and vaccines")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_deserialise_only_valid_values() {
        let f: Filters = serde_json::from_str(
            r#"{"age":18,"dose":2,"vaccine":"covaxin","fee":"free","min_capacity":5}"#,
        )
        .unwrap();
        assert_eq!(f.to_string(), "18+, dose 2, COVAXIN, free, >=5");
        for bad in [
            r#"{"age":30}"#,
            r#"{"dose":3}"#,
            r#"{"vaccine":"x"}"#,
            r#"{"min_capacity":0}"#,
            r#"{"colour":1}"#,
        ] {
            assert!(serde_json::from_str::<Filters>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_vaccine_error_lists_the_known_ones() {
        let e = Vaccine::parse("covishild").unwrap_err().to_string();
        assert!(e.contains("COVISHIELD") && e.contains("covishild"), "{e}");
    }
}
