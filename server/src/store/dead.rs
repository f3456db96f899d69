//! Dead letters: `{stream}:dead` holds jobs that ran out of attempts or could
//! not be delivered, each with its last error (`e`), until an operator
//! replays them (`redis-hack-server dead-letters`, `replay ID`).

use super::queue::{Entry, Queue};
use super::{Store, StoreError};

/// A dead letter: its id in the dead-letter stream, the job as it was
/// queued (JSON) and the last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadJob {
    pub id: String,
    pub body: String,
    pub error: String,
}

impl Store {
    /// Out of attempts: move the job to the dead-letter stream with its last error.
    pub async fn dead_letter_job(
        &self,
        q: Queue,
        id: &str,
        body: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let key = self.key(q.stream());
        let () = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.key(&format!("{}:dead", q.stream())))
            .arg("*")
            .arg("j")
            .arg(body)
            .arg("e")
            .arg(error)
            .ignore()
            .cmd("XACK")
            .arg(&key)
            .arg(q.group())
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(&key)
            .arg(id)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The dead letters, oldest first.
    pub async fn dead_jobs(&self, q: Queue, count: usize) -> Result<Vec<DeadJob>, StoreError> {
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.key(&format!("{}:dead", q.stream())))
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn())
            .await?;
        Ok(entries
            .into_iter()
            .map(|(id, fields)| {
                let get = |name: &str| {
                    fields
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                DeadJob {
                    body: get("j"),
                    error: get("e"),
                    id,
                }
            })
            .collect())
    }

    /// Puts a dead letter back on the queue (with `body`, its attempts reset by the caller).
    pub async fn replay_dead_job(
        &self,
        q: Queue,
        id: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let (added, removed): (String, u32) = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.key(q.stream()))
            .arg("*")
            .arg("j")
            .arg(body)
            .cmd("XDEL")
            .arg(self.key(&format!("{}:dead", q.stream())))
            .arg(id)
            .query_async(&mut self.conn())
            .await?;
        let _ = added;
        Ok(removed == 1)
    }
}
