//! A Redis Cluster connection that follows a failover.
//!
//! The `redis` crate's cluster connection (1.8) learns the cluster's slot map
//! when it connects and again only when a live node answers `MOVED`. When a
//! master dies, its slots' requests go to the dead address: they time out or
//! are refused, reconnect to that same address, and never reach a live node
//! that could answer `MOVED`, so the connection never learns that the
//! replica took over (the failover test in `tests/cluster` hit this: no
//! alert was delivered in 300 s after the kill). Here, a request that fails
//! as if a node were gone makes the handle build a fresh connection in the
//! background (a new slot map from the configured nodes) and use it from then
//! on; at most one rebuild runs at a time, with a pause after each, so a
//! cluster that is down is not hammered.

use redis::RedisError;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The pause after a rebuild before another may start.
const REBUILD_PAUSE: Duration = Duration::from_secs(1);

/// A cluster connection that is replaced when its slot map goes stale.
#[derive(Clone)]
pub struct ClusterConn {
    shared: Arc<Shared>,
}

struct Shared {
    client: ClusterClient,
    current: RwLock<ClusterConnection>,
    rebuilding: AtomicBool,
}

impl ClusterConn {
    pub fn new(client: ClusterClient, conn: ClusterConnection) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                current: RwLock::new(conn),
                rebuilding: AtomicBool::new(false),
            }),
        }
    }

    /// The connection to send the next request on.
    pub fn current(&self) -> ClusterConnection {
        match self.shared.current.read() {
            Ok(conn) => conn.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Called with every failed request: starts a rebuild when `e` says a
    /// node is gone or the cluster is reconfiguring.
    pub fn after_error(&self, e: &RedisError) {
        if !a_node_is_gone(e) || self.shared.rebuilding.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let fresh = tokio::time::timeout(
                Duration::from_secs(10),
                shared.client.get_async_connection(),
            )
            .await;
            match fresh {
                Ok(Ok(conn)) => {
                    match shared.current.write() {
                        Ok(mut current) => *current = conn,
                        Err(poisoned) => *poisoned.into_inner() = conn,
                    }
                    tracing::warn!(
                        "reconnected to the Redis cluster with a fresh slot map (a node stopped answering)"
                    );
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "reconnecting to the Redis cluster failed; retrying on the next error")
                }
                Err(_) => tracing::warn!(
                    "reconnecting to the Redis cluster timed out; retrying on the next error"
                ),
            }
            tokio::time::sleep(REBUILD_PAUSE).await;
            shared.rebuilding.store(false, Ordering::SeqCst);
        });
    }
}

/// A timeout, a refused or dropped connection, or a cluster that says it is
/// down: what a dead master looks like from a client.
fn a_node_is_gone(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || matches!(e.code(), Some("CLUSTERDOWN" | "MASTERDOWN" | "TRYAGAIN"))
}
