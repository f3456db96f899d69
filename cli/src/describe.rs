//! Sentences about how a subscription alerts, for people: its mode in
//! `list` (one-shot armed or disarmed, quiet hours and held alerts, no
//! follow-up), what is open right now after `subscribe`, `verify` and
//! `rearm`, a suspended email channel, and one line per live-feed event
//! for `watch`, and how long ago something was. No I/O: the commands print
//! what these return.

use redis_hack_shared::{EmailSuspension, FeedEvent, FeedKind, Session, Subscription, Timestamp};

/// How it alerts when that differs from the default, e.g.
/// `disarmed after the alert at 14:05; quiet 22:00-07:00 (2 alerts held); no follow-up`,
/// or `-` for every opening, with a follow-up, at any hour.
pub fn mode(s: &Subscription) -> String {
    let mut parts = Vec::new();
    if s.once {
        parts.push(match (s.armed, s.disarmed_at) {
            (true, _) => "once, armed".to_owned(),
            (false, Some(at)) => format!("disarmed after the alert at {}", s.tz.clock(at).hh_mm()),
            (false, None) => "disarmed".to_owned(),
        });
    }
    if let Some(quiet) = s.quiet {
        let zone = match s.tz.is_default() {
            true => String::new(),
            false => format!(" {}", s.tz),
        };
        let held = match s.held {
            0 => String::new(),
            1 => " (1 alert held)".to_owned(),
            n => format!(" ({n} alerts held)"),
        };
        parts.push(format!("quiet {quiet}{zone}{held}"));
    }
    if !s.followup {
        parts.push("no follow-up".to_owned());
    }
    match parts.is_empty() {
        true => "-".to_owned(),
        false => parts.join("; "),
    }
}

/// What is open right now for `s`, from `open_now` and the last poll:
/// `open right now:` and one line per session, or
/// `nothing open right now (checked 12s ago)`, from `open_now` and
/// `history.last_poll_at`; `None` when the server did not say (a server
/// without `open_now`).
pub fn open_now(s: &Subscription) -> Option<String> {
    let sessions = s.open_now.as_ref()?;
    // Without a poll time (a target not polled yet) nothing is said about age.
    let checked = s
        .history
        .last_poll_at
        .map_or(String::new(), |at| format!(" (checked {})", ago(Some(at))));
    if sessions.is_empty() {
        return Some(format!("nothing open right now{checked}"));
    }
    let mut lines = vec![format!("open right now{checked}:")];
    lines.extend(sessions.iter().map(|x| format!("  {}", session(x))));
    Some(lines.join("\n"))
}

/// `25-11-2026  Patna PHC Centre 1 (800001)  COVAXIN 18+  dose 1: 5  dose 2: 0`.
pub fn session(s: &Session) -> String {
    let ages = s
        .max_age
        .map_or(format!("{}+", s.min_age), |m| format!("{}-{m}", s.min_age));
    format!(
        "{}  {} ({})  {} {ages}  dose 1: {}  dose 2: {}",
        s.date, s.center_name, s.pincode, s.vaccine, s.capacity_dose1, s.capacity_dose2
    )
}

/// `email suspended: 550 5.1.1 mailbox unavailable (since 3m ago)`.
pub fn suspension(s: &EmailSuspension) -> String {
    format!(
        "email suspended: {} (since {}); register and verify the address again to resume",
        s.reason,
        ago(Some(s.since))
    )
}

/// One line per live-feed event: when (in India's time, as the alerts
/// show it), what happened, where, and each session.
pub fn feed_line(e: &FeedEvent) -> String {
    let clock = redis_hack_shared::TimeZoneName::default().clock(e.timestamp);
    let what = match e.kind {
        FeedKind::SlotsOpened => "OPENED",
        FeedKind::SlotsClosed => "GONE",
    };
    let subs: Vec<String> = e.subscription_ids.iter().map(|s| s.to_string()).collect();
    let sessions: Vec<String> = e.sessions.iter().map(session).collect();
    format!(
        "{} {} {}  {what}  {}: {}  [{}]",
        clock.date,
        clock.hh_mm(),
        clock.abbreviation,
        e.target,
        match sessions.is_empty() {
            true => "no sessions".to_owned(),
            false => sessions.join("; "),
        },
        subs.join(", ")
    )
}

#[cfg(test)]
#[path = "describe_tests.rs"]
mod tests;

/// `never`, or how long ago `at` was: `42s ago`, `3m ago`, `2h ago`.
pub fn ago(at: Option<Timestamp>) -> String {
    let Some(at) = at else {
        return "never".into();
    };
    match Timestamp::now().as_ms().saturating_sub(at.as_ms()) / 1000 {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s if s < 172_800 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}
