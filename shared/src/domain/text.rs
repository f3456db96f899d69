//! Length caps of the free-text fields a request may carry (names people
//! type, a device label): far above any real value, so that what the server
//! does with one (compare it, store it, echo it) stays cheap. Over the cap is
//! a [`FieldTooLong`] naming the field, which the API answers 422.

/// Longest state or district name accepted; real ones are under 40 characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Longest device label accepted by `verify`.
pub const MAX_DEVICE_CHARS: usize = 100;

/// A field longer than its cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is too long: at most {max} characters")]
pub struct FieldTooLong {
    pub field: &'static str,
    pub max: usize,
}

/// Refuses `value` when it has more than `max` characters.
pub fn check_len(field: &'static str, value: Option<&str>, max: usize) -> Result<(), FieldTooLong> {
    // Counting stops at the cap, so a huge value costs no more than a legal one.
    match value.is_some_and(|v| v.chars().nth(max).is_some()) {
        true => Err(FieldTooLong { field, max }),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_over_its_cap_is_refused_naming_the_field() {
        assert_eq!(check_len("state", Some(&"x".repeat(100)), 100), Ok(()));
        assert_eq!(check_len("state", None, 100), Ok(()));
        let e = check_len("state", Some(&"é".repeat(101)), 100).unwrap_err();
        assert_eq!(e.to_string(), "state is too long: at most 100 characters");
    }
}
