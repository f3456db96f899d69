//! The poller: decides how often each watched district is fetched from the
//! CoWIN-compatible API, within a call budget shared by every server process.

pub mod schedule;
