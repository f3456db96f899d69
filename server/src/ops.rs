//! Operator commands run by the binary: `redis-hack-server dead-letters`
//! lists alert jobs that ran out of attempts, with their last error;
//! `redis-hack-server replay ID` puts one back on the queue with its attempts
//! reset; `redis-hack-server check [--repair]` finds (and repairs) what a
//! crash between two writes of one user action left half-done (`check`).

pub mod check;

use crate::delivery::{AlertJob, DeliveryError};
use crate::store::{DeadJob, JobId, Queue, Store, StoreError};

/// One line per dead letter: id, target, user, sessions, last error.
pub async fn dead_letters(store: &Store) -> Result<Vec<String>, StoreError> {
    let dead = store.dead_jobs(Queue::Email, 1000).await?;
    Ok(dead.iter().map(describe).collect())
}

fn describe(dead: &DeadJob) -> String {
    let DeadJob { id, body, error } = dead;
    match serde_json::from_str::<AlertJob>(body) {
        Ok(job) => format!(
            "{id}  {}  user {}  {} opening(s)  after {} attempt(s): {error}",
            job.target,
            job.uid,
            job.len(),
            job.attempt
        ),
        Err(_) => format!("{id}  (unreadable job)  {error}"),
    }
}

/// Puts dead letter `id` back on the queue with its attempt count reset;
/// false when there is no such dead letter.
pub async fn replay(store: &Store, id: &str) -> Result<bool, DeliveryError> {
    let Ok(id) = id.parse::<JobId>() else {
        return Ok(false);
    };
    let Some(dead) = store.dead_job(Queue::Email, &id).await? else {
        return Ok(false);
    };
    let body = match serde_json::from_str::<AlertJob>(&dead.body) {
        Ok(mut job) => {
            job.attempt = 0;
            job.to_json()?
        }
        Err(_) => dead.body,
    };
    store.ensure_group(Queue::Email).await?;
    Ok(store.replay_dead_job(Queue::Email, &id, &body).await?)
}
