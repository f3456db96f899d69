//! The store: the only module that talks to Redis. It owns the key layout
//! (documented in ARCHITECTURE.md), the Lua scripts that keep multi-key
//! updates atomic, and the mapping from Redis errors to `StoreError`.
//!
//! Every operation touches a fixed, small number of keys, whatever the number
//! of users.

mod budget;
mod cache;
mod dead;
mod fanout;
mod history;
mod hooks;
mod keys;
mod limits;
mod otp;
mod poll;
mod queue;
mod stats;
mod topics;
mod users;

pub use cache::CachedDoc;
pub use fanout::Subscriber;
pub use history::Moment;
pub use limits::Limit;
pub use otp::{OtpCheck, OtpRecord};
pub use poll::POLL_LEASE;
pub use queue::{Queue, QueuedJob};
pub use users::{MAX_SUBSCRIPTIONS, NewUserSub, TokenInfo, UserDoc};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot reach Redis: {0}")]
    Unreachable(#[source] redis::RedisError),
    #[error(
        "Redis has no JSON module (RedisJSON); load rejson.so with --loadmodule, or use redis-stack-server or Redis 8"
    )]
    NoJsonModule,
    #[error("Redis command failed: {0}")]
    Command(#[source] redis::RedisError),
    #[error("stored data is not what this version expects: {0}")]
    Corrupt(String),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_timeout()
            || e.is_connection_dropped()
        {
            Self::Unreachable(e)
        } else {
            Self::Command(e)
        }
    }
}

/// A handle on Redis: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Store {
    conn: ConnectionManager,
    /// For blocking reads only (XREADGROUP BLOCK): Redis answers one
    /// connection's commands in order, so a blocked read on the shared
    /// connection would stall every other command behind it.
    blocking: ConnectionManager,
    prefix: String,
    client: redis::Client,
}

impl Store {
    /// Connects and checks that the JSON module is loaded; fails fast (a few
    /// seconds at most) when Redis is unreachable.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(StoreError::Unreachable)?;
        let conn = manager(&client).await?;
        let blocking = manager(&client).await?;
        let store = Self {
            conn,
            blocking,
            prefix: prefix.to_owned(),
            client,
        };
        store.check_json_module().await?;
        Ok(store)
    }

    /// The same store with a blocking connection of its own, for one more
    /// consumer that blocks (each worker's XREADGROUP waits on its own).
    pub async fn with_own_blocking(&self) -> Result<Self, StoreError> {
        Ok(Self {
            blocking: manager(&self.client).await?,
            ..self.clone()
        })
    }

    /// `JSON.TYPE` on an absent key answers nil with the module and an
    /// "unknown command" error without it.
    pub async fn check_json_module(&self) -> Result<(), StoreError> {
        let probe: Result<Option<String>, _> = redis::cmd("JSON.TYPE")
            .arg(self.key("probe"))
            .query_async(&mut self.conn())
            .await;
        match probe {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().to_lowercase().contains("unknown command") => {
                Err(StoreError::NoJsonModule)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A round trip to Redis, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    fn blocking_conn(&self) -> ConnectionManager {
        self.blocking.clone()
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }
}

/// A reconnecting connection; fails within 10 s when Redis is unreachable.
async fn manager(client: &redis::Client) -> Result<ConnectionManager, StoreError> {
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(2)
        .set_connection_timeout(Some(Duration::from_secs(3)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    tokio::time::timeout(
        Duration::from_secs(10),
        ConnectionManager::new_with_config(client.clone(), config),
    )
    .await
    .map_err(|_| {
        StoreError::Unreachable(redis::RedisError::from(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        )))
    })?
    .map_err(StoreError::Unreachable)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
