//! `OtpCode`: exactly six ASCII digits.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the code must be exactly 6 digits, like 123456")]
pub struct OtpCodeError;

/// A one-time code as typed by a user: six digits, surrounding spaces ignored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(raw: &str) -> Result<Self, OtpCodeError> {
        let s = raw.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(OtpCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Codes are secrets: never print them by accident.
impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

impl TryFrom<String> for OtpCode {
    type Error = OtpCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<OtpCode> for String {
    fn from(value: OtpCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_accepted_and_anything_else_refused() {
        assert_eq!(OtpCode::parse(" 012345 ").unwrap().as_str(), "012345");
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert!(OtpCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_does_not_reveal_the_code() {
        let c = OtpCode::parse("987654").unwrap();
        assert!(!format!("{c:?}").contains("987654"));
    }
}
