//! The alert engine: detecting openings in fetched sessions, and delivering
//! them by email through the durable queue in Redis.

pub mod detect;
pub mod email;
pub mod job;
pub mod worker;

pub use job::AlertJob;
pub use worker::{RetryPolicy, Worker};
