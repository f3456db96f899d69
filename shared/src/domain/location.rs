//! Location identifiers: CoWIN state ids and Indian pincodes (district ids
//! are a newtype in `ids`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A CoWIN state id.
pub type StateId = u32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid pincode: it must be 6 digits and not start with 0")]
pub struct PincodeError(pub String);

/// An Indian postal index number: six digits, the first not zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pincode(String);

impl Pincode {
    pub fn parse(raw: &str) -> Result<Self, PincodeError> {
        let s = raw.trim();
        let ok = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PincodeError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Pincode {
    type Error = PincodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Pincode> for String {
    fn from(value: Pincode) -> Self {
        value.0
    }
}

impl fmt::Display for Pincode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pincodes_are_six_digits_not_starting_with_zero() {
        assert!(Pincode::parse("800001").is_ok());
        for bad in ["080001", "80001", "8000011", "80000a", ""] {
            assert!(Pincode::parse(bad).is_err(), "{bad}");
        }
    }
}
