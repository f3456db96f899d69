//! The poller: decides how often each watched target is fetched from the
//! CoWIN-compatible API, within a call budget shared by every server process
//! (`schedule`), and turns what it fetches into queued alerts: the round
//! (`run`), one target's poll (`target`), and the decisions between them
//! without I/O (`plan`).

mod date;
mod followup;
pub mod plan;
pub mod run;
pub mod schedule;
mod target;

pub use date::india_date;
pub use run::{PollError, Poller, Round};

use crate::alerts::detect::Rules;
use schedule::Budget;
use std::time::Duration;

/// The poller's knobs (from `POLL_*` and `ALERT_*` settings).
#[derive(Debug, Clone, Copy)]
pub struct PollConfig {
    pub budget: Budget,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub rules: Rules,
    /// How long after an alert its `Gone:` follow-up may come (`FOLLOWUP_WINDOW`).
    pub followup_window: Duration,
}

/// The default `FOLLOWUP_WINDOW`.
pub const FOLLOWUP_WINDOW: Duration = Duration::from_secs(6 * 3600);
