//! The store: the only module that talks to Redis. It owns the key layout
//! (documented in ARCHITECTURE.md), the Lua scripts that keep multi-key
//! updates atomic, and the mapping from Redis errors to `StoreError`.
//!
//! Every operation touches a fixed, small number of keys, whatever the number
//! of users.

mod arming;
mod batch;
mod buckets;
mod budget;
mod cache;
mod check;
mod conn;
mod consume;
mod dead;
mod depth;
mod failpoint;
mod fanout;
mod feed;
mod followup;
mod held;
mod history;
mod hooks;
mod index_entry;
mod indexes;
mod keys;
mod latest;
mod layout;
mod limits;
mod listing;
mod marks;
mod otp;
mod partition;
mod poll;
mod queue;
mod replication;
mod root_subs;
mod stats;
mod stored_sub;
mod subscribe;
mod suspension;
mod tokens;
mod topics;
mod topology;
mod uids;
mod users;
mod version;

pub use arming::Disarm;
pub use cache::CachedDoc;
pub use check::{CheckReport, Finding, Problem};
pub use conn::{Client, Conn};
pub use dead::DeadJob;
pub use depth::QueueDepth;
pub use fanout::{FanOut, Subscriber};
pub use feed::{FEED_KEEP, FEED_MAX, FeedPage, is_feed_id};
pub use followup::{Announced, TrackedAlert};
pub use held::DIGEST_LEASE;
pub use history::{Moment, Moments};
pub use latest::Latest;
pub use layout::LAYOUT_VERSION;
pub use limits::Limit;
pub use listing::UserHistory;
pub use otp::{OtpCheck, OtpRecord};
pub use partition::{JobId, Partition, QueuePartitions};
pub use poll::{POLL_LEASE, PollState};
pub use queue::{Queue, QueuedJob};
pub use replication::{ReplicationWait, ReplicationWaits, replication_waits};
pub use subscribe::{MAX_SUBSCRIPTIONS, NewUserSub};
pub use suspension::StoredSuspension;
pub use tokens::TokenInfo;
pub use users::UserDoc;
pub use version::Version;

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
    /// `{p}layout` names another layout than this server's.
    #[error(
        "the store under prefix '{prefix}' has layout version {found} but this redis-hack-server reads layout {expected}: run a redis-hack-server of the release that wrote it, or point REDIS_KEY_PREFIX at an empty prefix"
    )]
    Layout {
        prefix: String,
        found: String,
        expected: u64,
    },
    /// `{p}queue:partitions` names another count than `QUEUE_PARTITIONS`.
    #[error(
        "the queues under prefix '{prefix}' have {found} partitions but QUEUE_PARTITIONS is {configured}: set QUEUE_PARTITIONS={found} (every process of a store must agree), or change it only while the queues are empty, deleting {prefix}queue:partitions"
    )]
    QueuePartitions {
        prefix: String,
        found: String,
        configured: usize,
    },
    #[error("stored data is not what this version expects: {0}")]
    Corrupt(String),
    /// Every probe uid of an address (`uids`) holds another address's user:
    /// four 64-bit collisions in a row, or documents written at the wrong uid.
    #[error(
        "no user id is free for {0}: the documents at all {n} of its user ids hold other addresses",
        n = uids::PROBES
    )]
    NoFreeUid(String),
    /// A value of ours that could not be written as JSON.
    #[error("could not encode {what} as JSON: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_timeout()
            || e.is_connection_dropped()
            || is_unavailable_for_now(&e)
        {
            Self::Unreachable(e)
        } else {
            Self::Command(e)
        }
    }
}

/// Redis answers but cannot serve yet: it is loading its data after a
/// restart (`LOADING`), or a cluster is failing over (`TRYAGAIN`,
/// `CLUSTERDOWN`, `MASTERDOWN`, `READONLY` on a demoted master). Like an
/// unreachable Redis, this passes by itself.
fn is_unavailable_for_now(e: &redis::RedisError) -> bool {
    matches!(
        e.code(),
        Some("LOADING" | "TRYAGAIN" | "CLUSTERDOWN" | "MASTERDOWN" | "READONLY")
    )
}

/// A handle on Redis: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Store {
    conn: Conn,
    /// For a worker's reads (XREADGROUP, `consume.rs`): each pump reads on
    /// its own connection, so its reads never queue behind (or hold up) the
    /// commands of deliveries in flight on the shared one.
    blocking: Conn,
    prefix: String,
    client: Client,
    /// How many partitions each delivery queue is split into (`partition.rs`).
    partitions: QueuePartitions,
    /// The connections for writes that wait for replicas (`replication.rs`);
    /// none while `REDIS_WAIT_REPLICAS` is 0.
    waiters: Option<std::sync::Arc<replication::Waiters>>,
}

impl Store {
    /// Connects, checks that the JSON module is loaded and that the data under
    /// `prefix` is in this server's layout (`layout.rs`; an empty store gets
    /// it); fails fast (a few seconds at most) when Redis is unreachable. `url` may name a cluster
    /// (`redis+cluster://host:port,...`); the key names are the same in both.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)?;
        let conn = client.connect().await?;
        let blocking = client.connect().await?;
        let store = Self {
            conn,
            blocking,
            prefix: prefix.to_owned(),
            client,
            partitions: QueuePartitions::default(),
            waiters: None,
        };
        store.check_json_module().await?;
        store.check_layout().await?;
        Ok(store)
    }

    /// The same store with a reading connection of its own, for one more
    /// consumer (each worker's XREADGROUP goes on its own).
    pub async fn with_own_blocking(&self) -> Result<Self, StoreError> {
        Ok(Self {
            blocking: self.client.connect().await?,
            ..self.clone()
        })
    }

    /// The same store with its delivery queues split into `partitions`
    /// (`QUEUE_PARTITIONS`; every process of one store must use the same).
    pub fn with_queue_partitions(self, partitions: QueuePartitions) -> Self {
        Self { partitions, ..self }
    }

    /// How many partitions each delivery queue is split into.
    pub fn queue_partitions(&self) -> QueuePartitions {
        self.partitions
    }

    /// The prefix every key of this store starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
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

    fn conn(&self) -> Conn {
        self.conn.clone()
    }

    fn blocking_conn(&self) -> Conn {
        self.blocking.clone()
    }

    /// A key of the global group: `{p}{rest}`, no hash tag.
    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    /// A key in the group of `tag` (a user, an address, a target, a queue
    /// partition): `{p}{kind}:{<tag>}{rest}`. Keys with the same tag share a
    /// Redis Cluster slot, so one script may touch them together.
    fn tagged(&self, kind: &str, tag: &str, rest: &str) -> String {
        format!("{}{kind}:{{{tag}}}{rest}", self.prefix)
    }
}

/// `value` as JSON, for a key or a script argument.
fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode { what, source })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(line: &str) -> redis::RedisError {
        let parsed = redis::parse_redis_value(format!("-{line}\r\n").as_bytes()).unwrap();
        parsed.extract_error().unwrap_err()
    }

    #[test]
    fn redis_loading_its_data_is_unavailable_not_a_failed_command() {
        let loading = server_error("LOADING Redis is loading the dataset in memory");
        assert!(matches!(
            StoreError::from(loading),
            StoreError::Unreachable(_)
        ));
        let down = server_error("CLUSTERDOWN The cluster is down");
        assert!(matches!(StoreError::from(down), StoreError::Unreachable(_)));
        let wrong =
            server_error("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert!(matches!(StoreError::from(wrong), StoreError::Command(_)));
    }
}
