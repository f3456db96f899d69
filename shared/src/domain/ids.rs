//! Identifiers that must not be mixed up: a CoWIN district id, a user id and
//! a subscription id. On the wire each is its plain number or string
//! (serde-transparent), so the JSON is what it always was.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A CoWIN district id. Any number is well-formed; whether such a district
/// exists is for the location lists to say.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct DistrictId(u32);

impl DistrictId {
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for DistrictId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

impl FromStr for DistrictId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Self)
    }
}

impl fmt::Display for DistrictId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a string is not a user or subscription id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{shown}' is not a valid {what} id: use 1 to 64 lower-case letters and digits")]
pub struct IdError {
    what: &'static str,
    shown: String,
}

/// 1 to 64 lower-case ASCII letters and digits: what the server issues, and
/// free of the separators (`:` `.` `-`) that index members and unsubscribe
/// tokens put between ids.
fn check_id(what: &'static str, raw: &str) -> Result<String, IdError> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    match ok {
        true => Ok(raw.to_owned()),
        false => Err(IdError {
            what,
            shown: raw.chars().take(64).collect(),
        }),
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `raw`; the only way to get one.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check_id($what, raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A user's id (the server makes 16 hex digits).
    UserId,
    "user"
);
string_id!(
    /// A subscription's id (`s` and 8 hex digits, a digest of what it watches).
    SubscriptionId,
    "subscription"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_plain_json() {
        let d: DistrictId = serde_json::from_str("97").unwrap();
        assert_eq!(
            (d.get(), serde_json::to_string(&d).unwrap()),
            (97, "97".into())
        );
        let s: SubscriptionId = serde_json::from_str("\"s1a2b3c4d\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"s1a2b3c4d\"");
    }

    #[test]
    fn ids_with_separators_or_capitals_are_refused() {
        for bad in ["", "a:b", "u1.s1", "s1-s2", "ABC", &"a".repeat(65)] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
            assert!(SubscriptionId::parse(bad).is_err(), "{bad}");
        }
        let e = SubscriptionId::parse("x/y").unwrap_err().to_string();
        assert!(e.contains("'x/y' is not a valid subscription id"), "{e}");
    }
}
