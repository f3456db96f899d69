//! What to do with a job after a delivery attempt ([`Step`], which each
//! worker decides by its own rules, without I/O), and doing it ([`settle`]):
//! acknowledge, park for a retry, or dead-letter.

use super::Outcome;
use crate::store::{JobId, Queue, Store, StoreError};

/// The decision after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Delivered: acknowledge the job.
    Ack,
    /// Failed for now: try again at `due_ms`.
    Retry { due_ms: u64 },
    /// Give up: dead-letter the job with this reason.
    Dead(String),
    /// Give up and turn the webhook off: dead-letter the job with this reason.
    Disable(String),
}

/// Carries out `step` for job `id` of `queue`; `body` is the job as it
/// should be kept for a retry or a dead letter (its attempt count updated).
/// Turning a webhook off is the webhook worker's part; here `Disable` only
/// dead-letters.
pub async fn settle(
    store: &Store,
    queue: Queue,
    id: &JobId,
    step: &Step,
    body: &str,
) -> Result<Outcome, StoreError> {
    match step {
        Step::Ack => {
            store.ack_job(queue, id).await?;
            Ok(Outcome::Delivered)
        }
        Step::Retry { due_ms } => {
            store.retry_job_later(queue, id, body, *due_ms).await?;
            Ok(Outcome::Retried)
        }
        Step::Dead(why) => {
            store.dead_letter_job(queue, id, body, why).await?;
            Ok(Outcome::Dead)
        }
        Step::Disable(why) => {
            store.dead_letter_job(queue, id, body, why).await?;
            Ok(Outcome::Disabled)
        }
    }
}

/// A random factor in `spread` around 1 (`0.2`: 0.8 to 1.2), so workers
/// in many processes do not retry in step.
pub fn jitter(spread: f64) -> f64 {
    rand::random_range(1.0 - spread..1.0 + spread)
}
