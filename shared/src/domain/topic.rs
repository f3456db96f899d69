//! Topic names: what a publisher announces openings on and users subscribe to
//! (`subscribe --topic cs101-fall`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a valid topic: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
)]
pub struct TopicError(pub String);

/// A topic name: 1-64 of `[a-z0-9._-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TopicName(String);

impl TopicName {
    pub fn parse(raw: &str) -> Result<Self, TopicError> {
        let s = raw.trim();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(TopicError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TopicName {
    type Error = TopicError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TopicName> for String {
    fn from(value: TopicName) -> Self {
        value.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_short_lower_case_slugs() {
        for good in ["cs101", "cs101-fall.2026", "a", "0_x"] {
            assert!(TopicName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "CS101", "-x", "a b", "a/b", &"x".repeat(65)] {
            let e = TopicName::parse(bad).unwrap_err();
            assert!(e.to_string().contains("not a valid topic"), "{bad}");
        }
    }
}
