//! Dead letters: each queue partition's `{stream}:dead` holds jobs that ran
//! out of attempts or could not be delivered, each with its last error (`e`),
//! until an operator replays them (`redis-hack-server dead-letters`,
//! `replay ID`). A dead letter's id names its partition (`3/1764669000000-0`);
//! listings merge the partitions, oldest first.

use super::partition::{JobId, Partition};
use super::queue::{Entry, Queue};
use super::{Store, StoreError};

/// A dead letter: where it is in the dead-letter streams, the job as it was
/// queued (JSON) and the last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadJob {
    pub id: JobId,
    pub body: String,
    pub error: String,
}

impl Store {
    /// Out of attempts: move the job to its partition's dead-letter stream
    /// with its last error (one slot: atomic).
    pub async fn dead_letter_job(
        &self,
        q: Queue,
        id: &JobId,
        body: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XADD")
            .arg(self.queue_key(q, id.partition, ":dead"))
            .arg("*")
            .arg("j")
            .arg(body)
            .arg("e")
            .arg(error)
            .ignore();
        self.push_ack(&mut pipe, q, id);
        let () = pipe.query_async(&mut self.conn()).await?;
        Ok(())
    }

    /// The `count` oldest dead letters of every partition, oldest first (by
    /// the time they died), at most `count` in all.
    pub async fn dead_jobs(&self, q: Queue, count: usize) -> Result<Vec<DeadJob>, StoreError> {
        let per_partition = self
            .each_partition(|p| async move {
                let entries: Vec<Entry> = redis::cmd("XRANGE")
                    .arg(self.queue_key(q, p, ":dead"))
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut self.conn())
                    .await?;
                Ok(entries.into_iter().map(move |e| to_dead(p, e)))
            })
            .await?;
        let mut dead: Vec<DeadJob> = per_partition.into_iter().flatten().collect();
        dead.sort_by_key(|d| entry_order(&d.id.entry));
        dead.truncate(count);
        Ok(dead)
    }

    /// Dead letter `id`, if there is one.
    pub async fn dead_job(&self, q: Queue, id: &JobId) -> Result<Option<DeadJob>, StoreError> {
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.queue_key(q, id.partition, ":dead"))
            .arg(&id.entry)
            .arg(&id.entry)
            .query_async(&mut self.conn())
            .await?;
        Ok(entries.into_iter().next().map(|e| to_dead(id.partition, e)))
    }

    /// Puts a dead letter back on its partition's queue (with `body`, its
    /// attempts reset by the caller); false when there is no such dead letter.
    pub async fn replay_dead_job(
        &self,
        q: Queue,
        id: &JobId,
        body: &str,
    ) -> Result<bool, StoreError> {
        let (_added, removed): (String, u32) = redis::pipe()
            .atomic()
            .cmd("XADD")
            .arg(self.queue_key(q, id.partition, ""))
            .arg("*")
            .arg("j")
            .arg(body)
            .cmd("XDEL")
            .arg(self.queue_key(q, id.partition, ":dead"))
            .arg(&id.entry)
            .query_async(&mut self.conn())
            .await?;
        Ok(removed == 1)
    }
}

fn to_dead(partition: Partition, (entry, fields): Entry) -> DeadJob {
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
        id: JobId { partition, entry },
    }
}

/// A stream entry id (`ms-seq`) as numbers, to merge partitions in time order.
fn entry_order(entry: &str) -> (u64, u64) {
    let (ms, seq) = entry.split_once('-').unwrap_or((entry, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}
