//! Delivery, as both workers share it: the queue pump and the `Handler` it
//! drives (`pump`), what became of a job (`outcome`), what to do with a job
//! after an attempt (`step`), and the jobs as they
//! travel through the queues: an alert for one user (`alert_job`, the email
//! queue) and one alert for one subscription's webhook (`webhook_job`, the
//! webhook queue). The email worker (`alerts`) and the webhook worker
//! (`webhook`) build on this and not on each other.

pub mod alert_job;
pub mod outcome;
pub mod pump;
pub mod step;
pub mod webhook_job;

pub use alert_job::{AlertJob, DigestNote, NewJob};
pub use outcome::Outcome;
pub use pump::{Handler, Pass, Pump};
pub use step::{Step, settle};
pub use webhook_job::WebhookJob;

use crate::store::StoreError;

/// Why a job could not be handled; it stays pending and is taken over
/// after `QUEUE_RECLAIM_IDLE`.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not encode a job as JSON: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("a delivery task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}
