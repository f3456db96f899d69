//! Waiting for replicas after the writes that hold a subscriber's data
//! (`REDIS_WAIT_REPLICAS`, `REDIS_WAIT_TIMEOUT_MS`; issue 14).
//!
//! Replication is asynchronous: a master acknowledges a write before any
//! replica has it, and a failover in between loses it. `WAIT n timeout`
//! blocks the connection it is sent on until `n` replicas acknowledged every
//! write *that connection* sent before it, or the timeout passed. So the
//! write and its `WAIT` go on one connection, and on a cluster to one node:
//! the master of the written key's slot. Not on the shared, multiplexed
//! connection (`Store::conn`): a blocked `WAIT` holds up every command queued
//! behind it, and every request would wait for the slowest replica. A write
//! that waits takes a [`Writer`]: one of `POOL` connections of its own, held
//! only by it from the write to the end of the `WAIT` (opened on first use).
//!
//! When fewer replicas than asked acknowledge in time, the write still
//! stands on the master (Redis cannot take it back): the request succeeds,
//! the wait counts as `short` in `redis_hack_replication_waits_total`, and a
//! warning is logged. A `WAIT` that fails (the node went away) counts as
//! short too. If the connection was replaced between the write and the
//! `WAIT` (a reconnect, a rebuilt cluster slot map), the `WAIT` covers
//! nothing and answers at once: that happens only while a node is failing,
//! when the write itself was at risk anyway.
//!
//! Which writes wait is decided where they are made (`uids`, `tokens`,
//! `subscribe`, `arming`, `suspension`) and explained in ARCHITECTURE.md
//! ("Failover").

use super::conn::{Client, Conn};
use super::{Store, StoreError};
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, Slot, SlotAddr};
use redis::{RedisResult, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Connections one process keeps for writes that wait (each opened when
/// first needed): at most this many such writes are in flight at once.
const POOL: usize = 8;

/// How many replicas a write that holds a subscriber's data waits for, and
/// for how long. The default (0 replicas) never waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicationWait {
    pub replicas: u32,
    pub timeout: Duration,
}

/// Waits since this process started, by outcome (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicationWaits {
    /// Enough replicas acknowledged in time.
    pub acked: u64,
    /// Fewer did (or the `WAIT` failed): the write is on the master only.
    pub short: u64,
}

static ACKED: AtomicU64 = AtomicU64::new(0);
static SHORT: AtomicU64 = AtomicU64::new(0);

/// The waits of this process so far.
pub fn replication_waits() -> ReplicationWaits {
    ReplicationWaits {
        acked: ACKED.load(Ordering::Relaxed),
        short: SHORT.load(Ordering::Relaxed),
    }
}

/// The pool of connections for writes that wait, shared by a store's clones.
pub(super) struct Waiters {
    wait: ReplicationWait,
    client: Client,
    slots: Vec<Arc<Mutex<Option<Conn>>>>,
    next: AtomicUsize,
}

impl Waiters {
    pub(super) fn new(client: Client, wait: ReplicationWait) -> Self {
        Self {
            wait,
            client,
            slots: (0..POOL).map(|_| Arc::default()).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A free slot, or the next one in turn once it is free.
    async fn take(&self) -> OwnedMutexGuard<Option<Conn>> {
        let first = self.next.fetch_add(1, Ordering::Relaxed) % POOL;
        let order = (0..POOL).map(|i| &self.slots[(first + i) % POOL]);
        for slot in order {
            if let Ok(held) = slot.clone().try_lock_owned() {
                return held;
            }
        }
        self.slots[first].clone().lock_owned().await
    }
}

/// A connection for one operation's writes that wait: the write goes on
/// [`Writer::conn`], then [`Writer::replicated`] waits for it.
pub(super) struct Writer {
    conn: Conn,
    wait: Option<ReplicationWait>,
    /// Keeps the pooled connection to this operation until it is dropped.
    _held: Option<OwnedMutexGuard<Option<Conn>>>,
}

impl Writer {
    /// The connection to write on.
    pub(super) fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// After a write of `key` on [`Writer::conn`]: `WAIT` for the replicas
    /// of `key`'s master (nothing when waiting is off), then gives the
    /// connection back. Never fails: a short wait leaves the write on the
    /// master, counted and logged.
    pub(super) async fn replicated(mut self, key: &str) {
        let Some(wait) = self.wait else { return };
        let timeout_ms = wait.timeout.as_millis() as u64;
        let mut cmd = redis::cmd("WAIT");
        cmd.arg(wait.replicas).arg(timeout_ms);
        let replied = match &mut self.conn {
            Conn::Single(c) => cmd.query_async::<Value>(c).await,
            Conn::Cluster(c) => {
                let slot = Slot::for_key(key.as_bytes());
                let master = Route::with_slot(slot, SlotAddr::Master);
                let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(master));
                let replied = c.current().route_command(cmd, route).await;
                if let Err(e) = &replied {
                    c.after_error(e);
                }
                replied
            }
        };
        count(key, wait, replied);
    }
}

/// Records how a `WAIT` for `key` went.
fn count(key: &str, wait: ReplicationWait, replied: RedisResult<Value>) {
    match replied {
        Ok(Value::Int(n)) if n >= i64::from(wait.replicas) => {
            ACKED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Value::Int(n)) => {
            SHORT.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                key,
                acked = n,
                wanted = wait.replicas,
                timeout_ms = wait.timeout.as_millis() as u64,
                "fewer Redis replicas than REDIS_WAIT_REPLICAS acknowledged a write in time; it stands on the master only, and a failover now would lose it"
            );
        }
        other => {
            SHORT.fetch_add(1, Ordering::Relaxed);
            let error = match other {
                Err(e) => e.to_string(),
                Ok(v) => format!("an unexpected reply {v:?}"),
            };
            tracing::warn!(key, %error, "WAIT for Redis replicas failed; the write stands on the master only");
        }
    }
}

impl Store {
    /// The same store, waiting for `wait.replicas` replicas after the writes
    /// that hold a subscriber's data (none: never waits).
    pub fn with_replication_wait(self, wait: ReplicationWait) -> Self {
        let waiters =
            (wait.replicas > 0).then(|| Arc::new(Waiters::new(self.client.clone(), wait)));
        Self { waiters, ..self }
    }

    /// A connection for a write that waits: the shared one when waiting is
    /// off, else one of the pool's, held until the [`Writer`] is dropped.
    pub(super) async fn writer(&self) -> Result<Writer, StoreError> {
        let Some(waiters) = &self.waiters else {
            return Ok(Writer {
                conn: self.conn(),
                wait: None,
                _held: None,
            });
        };
        let mut held = waiters.take().await;
        let conn = match &*held {
            Some(conn) => conn.clone(),
            None => held.insert(waiters.client.connect().await?).clone(),
        };
        Ok(Writer {
            conn,
            wait: Some(waiters.wait),
            _held: Some(held),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_counts_as_acked_only_with_enough_replicas() {
        let wait = ReplicationWait {
            replicas: 2,
            timeout: Duration::from_millis(50),
        };
        let before = replication_waits();
        count("k", wait, Ok(Value::Int(2)));
        count("k", wait, Ok(Value::Int(3)));
        count("k", wait, Ok(Value::Int(1)));
        count("k", wait, Ok(Value::Nil));
        let after = replication_waits();
        assert_eq!(after.acked - before.acked, 2);
        assert_eq!(after.short - before.short, 2);
    }
}
