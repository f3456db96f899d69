//! The alert engine: detecting openings in fetched sessions (`detect`) or
//! receiving them from publishers (`publish`), and the email worker that
//! delivers them (`worker`, with the message in `email`). The queue machinery
//! is `crate::delivery`'s; webhooks are `crate::webhook`'s.

pub mod detect;
pub mod email;
pub mod publish;
pub mod worker;

pub use worker::{EmailHandler, RetryPolicy, Worker};
