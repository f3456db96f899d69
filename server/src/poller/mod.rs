//! The poller: decides how often each watched district is fetched from the
//! CoWIN-compatible API, within a call budget shared by every server process,
//! and turns what it fetches into queued alerts.

mod date;
pub mod run;
pub mod schedule;

pub use date::india_date;
pub use run::{PollConfig, Poller, Round};
