//! The alert engine: detecting openings in fetched sessions (or receiving
//! them from publishers), and delivering them through the durable queues in
//! Redis: email here, webhooks in `crate::webhook`.

pub mod detect;
pub mod email;
pub mod job;
pub mod publish;
pub mod pump;
pub mod worker;

pub use job::{AlertJob, NewJob};
pub use pump::{Handler, Outcome, Pass, Pump};
pub use worker::{EmailHandler, RetryPolicy, Worker};
