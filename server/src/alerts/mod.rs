//! The alert engine: detecting openings in fetched sessions (`detect`) or
//! receiving them from publishers (`publish`), and the email worker that
//! delivers them (`worker`, its decisions in `decide`, the sending in
//! `send`, the message in `email`). The queue machinery is
//! `crate::delivery`'s; webhooks are `crate::webhook`'s.

pub mod decide;
pub mod detect;
pub mod digest;
pub mod email;
pub mod feed;
pub mod gone;
pub mod gone_email;
pub mod open_now;
pub mod publish;
mod send;
pub mod times;
pub mod worker;

pub use decide::RetryPolicy;
pub use digest::Digests;
pub use worker::{EmailHandler, Worker};
