//! The times an alert email shows, on the subscriber's wall clock (their
//! subscription's zone, `Asia/Kolkata` by default, so "IST"): when the data
//! was fetched, the upstream's `Date`, when the opening was detected, when
//! the email was sent, and how old the data was then ("data 40 s old").

use crate::delivery::AlertJob;
use crate::delivery::webhook_job::upstream_ms;
use redis_hack_shared::{TimeZoneName, Timestamp};

/// The moments of one alert, in ms since the epoch, and the zone to show them in.
pub struct AlertTimes<'a> {
    pub zone: &'a TimeZoneName,
    pub fetched_ms: u64,
    pub upstream_ms: Option<u64>,
    pub detected_ms: u64,
    pub sent_ms: u64,
}

impl<'a> AlertTimes<'a> {
    /// The times of `job`, sent at `sent_ms`, shown in `zone`.
    pub fn of(job: &AlertJob, zone: &'a TimeZoneName, sent_ms: u64) -> Self {
        Self {
            zone,
            fetched_ms: job.fetched_at_ms,
            upstream_ms: job.upstream_date.as_deref().and_then(upstream_ms),
            detected_ms: job.detected_at_ms,
            sent_ms,
        }
    }

    /// `2026-12-02 10:15:03 IST`.
    pub fn wall(&self, ms: u64) -> String {
        let local = self.zone.clock(Timestamp::from_ms(ms));
        let seconds = ms / 1000 % 60; // every zone in use today has whole-minute offsets
        format!(
            "{} {}:{seconds:02} {}",
            local.date,
            local.hh_mm(),
            local.abbreviation
        )
    }

    /// `data 40 s old` (minutes past two, hours past two hours).
    pub fn age(&self) -> String {
        let s = self.sent_ms.saturating_sub(self.fetched_ms) / 1000;
        match s {
            0..120 => format!("data {s} s old"),
            120..7200 => format!("data {} min old", s / 60),
            _ => format!("data {} h old", s / 3600),
        }
    }

    /// `(label, wall clock)` for each moment, in the order they happened.
    fn rows(&self) -> Vec<(&'static str, String)> {
        let upstream = self.upstream_ms.map_or("not given".to_owned(), |ms| {
            format!("{} (its Date header)", self.wall(ms))
        });
        vec![
            ("fetched", self.wall(self.fetched_ms)),
            ("upstream", upstream),
            ("detected", self.wall(self.detected_ms)),
            ("sent", self.wall(self.sent_ms)),
        ]
    }

    /// The plain-text block: the age, then one line per moment.
    pub fn text(&self) -> String {
        let mut t = format!("When ({}, {}):\n", self.age(), self.zone);
        for (label, at) in self.rows() {
            t.push_str(&format!("  {label:<9} {at}\n"));
        }
        t
    }

    /// The same as a small HTML paragraph.
    pub fn html(&self) -> String {
        let rows: Vec<String> = self
            .rows()
            .into_iter()
            .map(|(label, at)| format!("{label} {at}"))
            .collect();
        format!(
            "<p style=\"color:#666\">{}, times in {}: {}.</p>",
            self.age(),
            self.zone,
            rows.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_on_an_indian_wall_clock_with_the_age_of_the_data() {
        let zone = TimeZoneName::default();
        let t = AlertTimes {
            zone: &zone,
            // 2026-12-02T04:30:05Z is 10:00:05 in India.
            fetched_ms: 1_796_185_805_000,
            upstream_ms: Some(1_796_185_804_000),
            detected_ms: 1_796_185_806_000,
            sent_ms: 1_796_185_845_000,
        };
        let text = t.text();
        assert!(text.contains("data 40 s old"), "{text}");
        assert!(text.contains("fetched   2026-12-02 10:00:05 IST"), "{text}");
        assert!(text.contains("upstream  2026-12-02 10:00:04 IST"), "{text}");
        assert!(text.contains("sent      2026-12-02 10:00:45 IST"), "{text}");
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        let t = AlertTimes {
            zone: &berlin,
            sent_ms: t.fetched_ms + 600_000,
            ..t
        };
        assert!(t.html().contains("05:30:05 CET"), "{}", t.html());
        assert_eq!(t.age(), "data 10 min old");
    }
}
