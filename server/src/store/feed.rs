//! The live feed's storage: `{p}feed:{UID}`, one Redis Stream per user
//! whose entries (field `e`) are `FeedEvent`s as JSON without their id (the
//! stream id is the id). Every append trims entries older than
//! [`FEED_KEEP`] and caps the stream at [`FEED_MAX`] entries, and pushes the
//! key's expiry out, so an idle user's feed disappears by itself.

use super::queue::Entry;
use super::{Store, StoreError, now_ms, to_json};
use redis_hack_shared::{FeedEvent, UserId};
use std::time::Duration;

/// How far back a reconnecting client can resume: at least a day, with an hour to spare.
pub const FEED_KEEP: Duration = Duration::from_secs(25 * 3600);
/// The most events one user's feed keeps, whatever their age.
pub const FEED_MAX: usize = 10_000;

impl Store {
    /// Appends each event to its user's feed, 1,000 at a time, batched
    /// (`batch`: one round trip on a single Redis).
    pub async fn push_feed_events(&self, events: &[(UserId, FeedEvent)]) -> Result<(), StoreError> {
        let oldest = now_ms().saturating_sub(FEED_KEEP.as_millis() as u64);
        for chunk in events.chunks(1000) {
            let mut batch = self.batch();
            for (uid, event) in chunk {
                let key = self.feed_key(uid);
                batch
                    .on(&key)
                    .cmd("XADD")
                    .arg(&key)
                    .arg("MINID")
                    .arg("~")
                    .arg(oldest)
                    .arg("*")
                    .arg("e")
                    .arg(to_json("a feed event", event)?)
                    .ignore()
                    .cmd("XTRIM")
                    .arg(&key)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(FEED_MAX)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(FEED_KEEP.as_millis() as u64)
                    .ignore();
            }
            batch.run(self, &[]).await?;
        }
        Ok(())
    }

    /// Up to `count` events of `uid`'s feed after the event `after` (from the
    /// oldest kept when `None`), oldest first. `after` must be a stream id
    /// (`1733112345678-0`); check it with [`is_feed_id`] first.
    pub async fn read_feed(
        &self,
        uid: &UserId,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<FeedEvent>, StoreError> {
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.feed_key(uid))
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn())
            .await?;
        entries.into_iter().map(to_event).collect()
    }

    /// Like [`Store::read_feed`], but an entry this version cannot read is
    /// skipped (and named in `skipped`) instead of failing the page, and
    /// `last` says where the next page starts, past skipped entries too: one
    /// bad entry must not stop a live feed forever.
    pub async fn read_feed_page(
        &self,
        uid: &UserId,
        after: Option<&str>,
        count: usize,
    ) -> Result<FeedPage, StoreError> {
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.feed_key(uid))
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn())
            .await?;
        let mut page = FeedPage {
            last: entries.last().map(|(id, _)| id.clone()),
            ..FeedPage::default()
        };
        for entry in entries {
            let id = entry.0.clone();
            match to_event(entry) {
                Ok(event) => page.events.push(event),
                Err(e) => page.skipped.push((id, e)),
            }
        }
        Ok(page)
    }

    /// Whether `uid`'s feed still holds the event `id` (a stream id; check
    /// it with [`is_feed_id`] first): a client may resume after it.
    pub async fn feed_has(&self, uid: &UserId, id: &str) -> Result<bool, StoreError> {
        let entries: Vec<Entry> = redis::cmd("XRANGE")
            .arg(self.feed_key(uid))
            .arg(id)
            .arg(id)
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.conn())
            .await?;
        Ok(!entries.is_empty())
    }

    /// The id of the newest event in `uid`'s feed, `None` when it is empty:
    /// where a client that resumes nothing starts.
    pub async fn feed_last_id(&self, uid: &UserId) -> Result<Option<String>, StoreError> {
        let entries: Vec<Entry> = redis::cmd("XREVRANGE")
            .arg(self.feed_key(uid))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.conn())
            .await?;
        Ok(entries.into_iter().next().map(|(id, _)| id))
    }

    fn feed_key(&self, uid: &UserId) -> String {
        self.tagged("feed", uid.as_str(), "")
    }
}

/// One read of a feed: see [`Store::read_feed_page`].
#[derive(Debug, Default)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// Entries that could not be read, by id, with why.
    pub skipped: Vec<(String, StoreError)>,
    /// The id of the last entry read, readable or not; `None` when there was none.
    pub last: Option<String>,
}

/// Whether `id` has the shape of a stream id, `MILLISECONDS-SEQUENCE`.
pub fn is_feed_id(id: &str) -> bool {
    let digits = |s: &str| (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    id.split_once('-')
        .is_some_and(|(ms, seq)| digits(ms) && digits(seq))
}

fn to_event((id, fields): Entry) -> Result<FeedEvent, StoreError> {
    let json = fields
        .into_iter()
        .find_map(|(k, v)| (k == "e").then_some(v))
        .ok_or_else(|| StoreError::Corrupt(format!("feed entry {id} has no event")))?;
    let mut event: FeedEvent = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("feed entry {id}: {e}")))?;
    event.id = id;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_are_stream_ids() {
        assert!(is_feed_id("1733112345678-0"));
        assert!(is_feed_id("0-1"));
        for bad in [
            "",
            "-",
            "1733112345678",
            "17331-x",
            "a-1",
            "1-2-3",
            "+",
            "$",
        ] {
            assert!(!is_feed_id(bad), "{bad}");
        }
    }
}
