//! Reading one variable at a time, each checked as it is read so an error
//! names the variable: strings with defaults, durations, positive numbers, numbers in a range,
//! URLs with an allowed scheme, and true/false flags.

use super::ConfigError;
use crate::poller::schedule::parse_duration;
use std::time::Duration;

/// The variables, through a lookup (the environment, or a test's map).
pub struct Vars<'a> {
    var: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub fn new(var: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { var }
    }

    /// The value of `name`, trimmed, or `default` when unset or empty.
    pub fn get(&self, name: &str, default: &str) -> String {
        (self.var)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    /// The value of `name` as it is, when set and not empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.var)(name).filter(|v| !v.is_empty())
    }

    /// A duration like `5s`, `5m`, `2h` or `5d` (bare numbers are seconds).
    pub fn duration(&self, var: &'static str, default: &str) -> Result<Duration, ConfigError> {
        let raw = self.get(var, default);
        parse_duration(&raw).ok_or(ConfigError {
            var,
            reason: format!("'{raw}' is not a duration like 5s, 5m, 2h or 5d"),
        })
    }

    /// A duration that must not be zero.
    pub fn positive_duration(
        &self,
        var: &'static str,
        default: &str,
    ) -> Result<Duration, ConfigError> {
        let raw = self.get(var, default);
        parse_duration(&raw)
            .filter(|d| !d.is_zero())
            .ok_or(ConfigError {
                var,
                reason: format!("'{raw}' is not a duration like 60s, 5m or 1h"),
            })
    }

    /// A whole number above zero.
    pub fn positive(&self, var: &'static str, default: &str) -> Result<u32, ConfigError> {
        let raw = self.get(var, default);
        raw.parse().ok().filter(|n| *n > 0).ok_or(ConfigError {
            var,
            reason: format!("'{raw}' is not a positive whole number"),
        })
    }

    /// A whole number in `range`; `what` says what it counts, for the error.
    pub fn whole_in(
        &self,
        var: &'static str,
        default: &str,
        range: std::ops::RangeInclusive<u64>,
        what: &str,
    ) -> Result<u64, ConfigError> {
        let raw = self.get(var, default);
        raw.parse()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or(ConfigError {
                var,
                reason: format!(
                    "'{raw}' is not a whole number from {} to {}: {what}",
                    range.start(),
                    range.end()
                ),
            })
    }

    /// A URL starting with one of `schemes`.
    pub fn url(
        &self,
        var: &'static str,
        default: &str,
        schemes: &[&str],
    ) -> Result<String, ConfigError> {
        let value = self.get(var, default);
        match schemes.iter().any(|s| value.starts_with(s)) {
            true => Ok(value),
            false => Err(ConfigError {
                var,
                reason: format!("must start with one of {}", schemes.join(", ")),
            }),
        }
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no`, in any case.
    pub fn flag(&self, var: &'static str, default: &str) -> Result<bool, ConfigError> {
        let raw = self.get(var, default);
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(ConfigError {
                var,
                reason: format!("'{raw}' is not true or false"),
            }),
        }
    }
}
