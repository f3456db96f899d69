//! Published openings already announced: `{p}pub:{topic}:{opening id}`, kept
//! 8 days, so a publisher that sends the same opening twice alerts once.

use super::{Store, StoreError};
use redis::AsyncCommands;
use redis_hack_shared::TopicName;

const KEEP_SECS: u64 = 8 * 24 * 3600;

impl Store {
    /// Marks the opening as announced; false when it was already.
    pub async fn mark_published(&self, topic: &TopicName, id: &str) -> Result<bool, StoreError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(self.published_key(topic, id))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(KEEP_SECS)
            .query_async(&mut self.conn())
            .await?;
        Ok(set.is_some())
    }

    /// Forgets the mark again (queueing failed), so the publisher can retry.
    pub async fn unmark_published(&self, topic: &TopicName, id: &str) -> Result<(), StoreError> {
        let _: u32 = self.conn().del(self.published_key(topic, id)).await?;
        Ok(())
    }

    fn published_key(&self, topic: &TopicName, id: &str) -> String {
        self.key(&format!("pub:{topic}:{id}"))
    }
}
