//! Time on the wire and in people's days: `Timestamp` (every time field of
//! the API and the CLI's JSON is an RFC 3339 string, e.g.
//! `2026-12-02T04:30:00.123Z`), `TimeZoneName` (an IANA zone such as
//! `Asia/Kolkata`, checked against the bundled zone database) and
//! `QuietHours` (`22:00-07:00`, a daily window that may wrap midnight).
//! The server keeps milliseconds since the Unix epoch in Redis; these types
//! turn them into what people and programs read.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An instant, millisecond precision; RFC 3339 in UTC on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(u64);

/// Why a string is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an RFC 3339 time like 2026-12-02T04:30:00Z")]
pub struct TimestampError(String);

impl Timestamp {
    /// From milliseconds since the Unix epoch.
    pub const fn from_ms(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_ms(self) -> u64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_ms(now_ms())
    }

    /// Accepts any RFC 3339 time (with `Z` or an offset); times before 1970 are refused.
    pub fn parse(raw: &str) -> Result<Self, TimestampError> {
        let bad = || TimestampError(raw.chars().take(64).collect());
        let ts: jiff::Timestamp = raw.trim().parse().map_err(|_| bad())?;
        u64::try_from(ts.as_millisecond())
            .map(Self)
            .map_err(|_| bad())
    }

    fn jiff(self) -> jiff::Timestamp {
        // Every u64 millisecond count we make fits; saturate rather than fail.
        let ms = i64::try_from(self.0).unwrap_or(i64::MAX);
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX)
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always three decimals, so the strings of one document line up and sort.
        write!(f, "{:.3}", self.jiff())
    }
}

impl TryFrom<String> for Timestamp {
    type Error = TimestampError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Timestamp> for String {
    fn from(value: Timestamp) -> Self {
        value.to_string()
    }
}

/// An IANA time zone name, e.g. `Asia/Kolkata` (the default) or `Europe/Berlin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName(String);

/// Why a string is not a known time zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a time zone; use an IANA name like Asia/Kolkata or Europe/London")]
pub struct TimeZoneError(String);

impl TimeZoneName {
    /// Where CoWIN's sessions are: India Standard Time.
    pub const DEFAULT: &'static str = "Asia/Kolkata";

    /// A zone the bundled database knows, by its IANA name (case as given is kept).
    pub fn parse(raw: &str) -> Result<Self, TimeZoneError> {
        let name = raw.trim();
        let known = name.len() <= 64 && jiff::tz::TimeZone::get(name).is_ok();
        match known {
            true => Ok(Self(name.to_owned())),
            false => Err(TimeZoneError(raw.chars().take(64).collect())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }

    fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// `at` on a wall clock here: `(minutes since local midnight, "HH:MM", "IST")`.
    pub fn clock(&self, at: Timestamp) -> LocalTime {
        let zone = self.zone();
        let zoned = at.jiff().to_zoned_datetime(zone.clone());
        let minute = zoned.hour() as u16 * 60 + zoned.minute() as u16;
        LocalTime {
            minute_of_day: minute,
            date: zoned.date().to_string(),
            abbreviation: zone.to_offset_info(at.jiff()).abbreviation().to_owned(),
        }
    }

    /// The first instant after `at` whose wall clock here reads `minute_of_day`.
    pub fn next(&self, at: Timestamp, minute_of_day: u16) -> Timestamp {
        let zoned = at.jiff().to_zoned_datetime(self.zone());
        let (h, m) = ((minute_of_day / 60) as i8, (minute_of_day % 60) as i8);
        let same_day = zoned
            .with()
            .hour(h)
            .minute(m)
            .second(0)
            .subsec_nanosecond(0)
            .build();
        let candidate = match same_day {
            Ok(c) if c.timestamp() > at.jiff() => Ok(c),
            Ok(c) => c.tomorrow(),
            Err(e) => Err(e),
        };
        candidate
            .ok()
            .and_then(|c| u64::try_from(c.timestamp().as_millisecond()).ok())
            .map_or(Timestamp(at.0 + 86_400_000), Timestamp)
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = TimeZoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZoneName> for String {
    fn from(value: TimeZoneName) -> Self {
        value.0
    }
}

/// An instant as a wall clock in some zone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    /// Minutes since local midnight, 0..1440.
    pub minute_of_day: u16,
    /// `YYYY-MM-DD`, the local date.
    pub date: String,
    /// The zone's abbreviation then, e.g. `IST` or `CET`.
    pub abbreviation: String,
}

impl LocalTime {
    /// `HH:MM`.
    pub fn hh_mm(&self) -> String {
        format!(
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        )
    }
}

/// A daily window in which alerts are held, `HH:MM-HH:MM` on a 24-hour
/// clock; it may wrap midnight (`22:00-07:00`). Start and end differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuietHours {
    start: u16,
    end: u16,
}

/// Why a string is not a quiet-hours window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    #[error("quiet hours look like 22:00-07:00 (24-hour HH:MM-HH:MM), not '{0}'")]
    Shape(String),
    #[error("'{0}' is not a time of day: hours go from 00 to 23 and minutes from 00 to 59")]
    Time(String),
    #[error("quiet hours '{0}' start and end at the same time; give a window, like 22:00-07:00")]
    Empty(String),
}

impl QuietHours {
    pub fn parse(raw: &str) -> Result<Self, QuietHoursError> {
        let shown: String = raw.trim().chars().take(32).collect();
        let (a, b) = shown
            .split_once('-')
            .ok_or_else(|| QuietHoursError::Shape(shown.clone()))?;
        let (start, end) = (minute_of(a.trim(), &shown)?, minute_of(b.trim(), &shown)?);
        if start == end {
            return Err(QuietHoursError::Empty(shown));
        }
        Ok(Self { start, end })
    }

    /// Start and end, in minutes since local midnight.
    pub fn bounds(self) -> (u16, u16) {
        (self.start, self.end)
    }

    /// Whether a wall clock reading `minute_of_day` is inside the window
    /// (the start is inside, the end is not).
    pub fn contains(self, minute_of_day: u16) -> bool {
        match self.start < self.end {
            true => (self.start..self.end).contains(&minute_of_day),
            false => minute_of_day >= self.start || minute_of_day < self.end,
        }
    }

    /// When the window that holds `at` ends in `zone`, or `None` when `at` is outside it.
    pub fn ends_after(self, at: Timestamp, zone: &TimeZoneName) -> Option<Timestamp> {
        self.contains(zone.clock(at).minute_of_day)
            .then(|| zone.next(at, self.end))
    }
}

fn minute_of(hh_mm: &str, whole: &str) -> Result<u16, QuietHoursError> {
    let shape = || QuietHoursError::Shape(whole.to_owned());
    let (h, m) = hh_mm.split_once(':').ok_or_else(shape)?;
    let digits = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || m.len() != 2 || !digits(m) {
        return Err(shape());
    }
    let (h, m): (u16, u16) = (
        h.parse().map_err(|_| shape())?,
        m.parse().map_err(|_| shape())?,
    );
    if h > 23 || m > 59 {
        return Err(QuietHoursError::Time(hh_mm.to_owned()));
    }
    Ok(h * 60 + m)
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

impl TryFrom<String> for QuietHours {
    type Error = QuietHoursError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<QuietHours> for String {
    fn from(value: QuietHours) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
