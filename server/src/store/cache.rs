//! Cached upstream documents (location metadata): `{p}loc:{name}`, a hash of
//! the body (`b`), its ETag (`e`) and when it was fetched (`t`, seconds).

use super::{Store, StoreError};
use redis::AsyncCommands;
use std::collections::HashMap;

/// A cached response body with the validators it is served with.
#[derive(Debug, Clone)]
pub struct CachedDoc {
    pub body: String,
    pub etag: String,
    pub fetched_at: u64,
}

impl Store {
    pub async fn cached(&self, name: &str) -> Result<Option<CachedDoc>, StoreError> {
        let mut fields: HashMap<String, String> = self.conn().hgetall(self.cache_key(name)).await?;
        let (Some(body), Some(etag), Some(t)) =
            (fields.remove("b"), fields.remove("e"), fields.remove("t"))
        else {
            return Ok(None);
        };
        Ok(Some(CachedDoc {
            body,
            etag,
            fetched_at: t.parse().unwrap_or(0),
        }))
    }

    pub async fn put_cached(
        &self,
        name: &str,
        doc: &CachedDoc,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let key = self.cache_key(name);
        let fields = [
            ("b", doc.body.clone()),
            ("e", doc.etag.clone()),
            ("t", doc.fetched_at.to_string()),
        ];
        let () = redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(&key, ttl_secs as i64)
            .ignore()
            .query_async(&mut self.conn())
            .await?;
        Ok(())
    }

    fn cache_key(&self, name: &str) -> String {
        self.key(&format!("loc:{name}"))
    }
}
