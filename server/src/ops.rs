//! Operator commands run by the binary: `redis-hack-server dead-letters`
//! lists alert jobs that ran out of attempts, with their last error;
//! `redis-hack-server replay ID` puts one back on the queue with its attempts
//! reset.

use crate::delivery::AlertJob;
use crate::store::{Queue, Store, StoreError};

/// One line per dead letter: id, target, user, sessions, last error.
pub async fn dead_letters(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .dead_jobs(Queue::Email, 1000)
        .await?
        .into_iter()
        .map(
            |(id, body, error)| match serde_json::from_str::<AlertJob>(&body) {
                Ok(job) => format!(
                    "{id}  {}  user {}  {} opening(s)  after {} attempt(s): {error}",
                    job.target,
                    job.uid,
                    job.len(),
                    job.attempt
                ),
                Err(_) => format!("{id}  (unreadable job)  {error}"),
            },
        )
        .collect())
}

/// Puts dead letter `id` back on the queue with its attempt count reset;
/// false when there is no such dead letter.
pub async fn replay(store: &Store, id: &str) -> Result<bool, StoreError> {
    let Some((_, body, _)) = store
        .dead_jobs(Queue::Email, 10_000)
        .await?
        .into_iter()
        .find(|(d, _, _)| d == id)
    else {
        return Ok(false);
    };
    let body = match serde_json::from_str::<AlertJob>(&body) {
        Ok(mut job) => {
            job.attempt = 0;
            serde_json::to_string(&job).map_err(|e| StoreError::Corrupt(e.to_string()))?
        }
        Err(_) => body,
    };
    store.ensure_group(Queue::Email).await?;
    store.replay_dead_job(Queue::Email, id, &body).await
}
