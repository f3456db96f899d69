//! Server-side signing keys, shared by every process through Redis:
//! `{p}key:{name}` holds 32 random bytes (hex), made by whichever process
//! asks first. Links signed with a key stay valid while the key is kept.

use super::{Store, StoreError};

impl Store {
    pub async fn signing_key(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let key = self.key(&format!("key:{name}"));
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let existing: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(&fresh)
            .arg("NX")
            .arg("GET")
            .query_async(&mut self.conn())
            .await?;
        hex::decode(existing.unwrap_or(fresh))
            .map_err(|e| StoreError::Corrupt(format!("signing key {name}: {e}")))
    }
}
