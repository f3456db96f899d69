//! `EmailAddress`: a trimmed, lower-cased address that passed a conservative
//! syntax check. Lower-casing the whole address is the normalisation the
//! server's email-to-user lookup relies on.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not an acceptable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("an email address is required")]
    Empty,
    #[error("'{0}' is not a valid email address: it needs exactly one '@'")]
    At(String),
    #[error(
        "'{0}' is not a valid email address: the part before '@' must be 1 to 64 letters, digits or !#$%&'*+/=?^_`{{|}}~- with single dots between them"
    )]
    Local(String),
    #[error(
        "'{0}' is not a valid email address: the domain after '@' must be a host name like example.com"
    )]
    Domain(String),
    #[error("'{0}' is not a valid email address: it contains spaces or control characters")]
    Characters(String),
    #[error("the email address is longer than 254 characters")]
    TooLong,
}

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks and normalises `raw`; this is the only way to get an `EmailAddress`.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Characters(s));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::At(s));
        };
        if domain.contains('@') {
            return Err(EmailError::At(s));
        }
        if !valid_local(local) {
            return Err(EmailError::Local(s));
        }
        if !valid_domain(domain) {
            return Err(EmailError::Domain(s));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: `al***@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let keep: String = local.chars().take(2).collect();
        format!("{keep}***@{domain}")
    }
}

/// RFC 5321's dot-atom, in ASCII (an address outside it needs SMTPUTF8 or
/// quoting, which mail servers commonly refuse): atoms of letters, digits and
/// ``!#$%&'*+/=?^_`{|}~-`` joined by single dots.
fn valid_local(local: &str) -> bool {
    local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b))
        })
}

/// A host name in ASCII: two or more labels of letters, digits and inner
/// hyphens, the last not all digits.
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Ana.Rao@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ana.rao@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a@@b.com",
            "a b@c.com",
            "a@-x.com",
            "a@x..com",
            "v.@example.com",
            ".v@example.com",
            "a..b@example.com",
            "ünï@example.com",
            "a@exämple.com",
            "a@example.123",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
        let err = EmailAddress::parse("nobody").unwrap_err().to_string();
        assert!(err.contains("'nobody'"), "{err}");
    }

    #[test]
    fn deserialising_goes_through_parse() {
        assert!(serde_json::from_str::<EmailAddress>("\"not-an-email\"").is_err());
        let e: EmailAddress = serde_json::from_str("\"X@Y.in\"").unwrap();
        assert_eq!(e.as_str(), "x@y.in");
    }

    #[test]
    fn masked_form_hides_most_of_the_local_part() {
        let e = EmailAddress::parse("ananya@example.com").unwrap();
        assert_eq!(e.masked(), "an***@example.com");
    }
}
