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

use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, SingleNodeRoutingInfo, SlotAddr};
use redis::{Pipeline, RedisError, RedisResult, Value};
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

    /// Sends `pipe` (not atomic) to the master that serves `slot`, whatever
    /// slots its other commands name: Redis runs each command of a pipeline
    /// on its own, so commands on several slots of one master may share a
    /// pipeline (the `redis` crate's own routing refuses that). On a `MOVED`
    /// or `ASK` among the replies the crate sends the whole pipeline on to
    /// the node named (`store/batch.rs` says what that means).
    pub async fn pipeline_to_master_of(
        &self,
        slot: u16,
        pipe: Pipeline,
    ) -> RedisResult<Vec<Value>> {
        let count = pipe.len();
        let route = SingleNodeRoutingInfo::SpecificNode(Route::new(slot, SlotAddr::Master));
        let replied = self.current().route_pipeline(pipe, 0, count, route).await;
        if let Err(e) = &replied {
            self.after_error(e);
        }
        replied
    }

    /// For each of the 16,384 slots, a number naming the master that serves
    /// it (`CLUSTER SLOTS`), or `None` when none does. Asked anew for every
    /// batch, not cached: a grouping that puts a moved slot beside slots
    /// that stayed makes the crate bounce the whole pipeline between the two
    /// masters and repeat commands (`tests/cluster/moved.rs` failed so with a
    /// one-second cache).
    pub async fn masters_by_slot(&self) -> RedisResult<Vec<Option<u16>>> {
        let reply: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut self.current())
            .await?;
        Ok(masters_by_slot(&reply))
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
/// `CLUSTER SLOTS` (`[[start, end, [host, port, id], replicas...], ...]`)
/// as a master number per slot; masters are numbered by address in order of
/// appearance.
fn masters_by_slot(reply: &Value) -> Vec<Option<u16>> {
    let mut by_slot = vec![None; 16384];
    let mut masters: Vec<String> = Vec::new();
    let Value::Array(ranges) = reply else {
        return by_slot;
    };
    for range in ranges {
        let Value::Array(parts) = range else { continue };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(master))) =
            (parts.first(), parts.get(1), parts.get(2))
        else {
            continue;
        };
        let address = format!("{:?}", master.iter().take(2).collect::<Vec<_>>());
        let n = match masters.iter().position(|m| *m == address) {
            Some(n) => n,
            None => {
                masters.push(address);
                masters.len() - 1
            }
        };
        let (start, end) = (
            (*start).clamp(0, 16383) as usize,
            (*end).clamp(0, 16383) as usize,
        );
        for slot in by_slot.iter_mut().take(end + 1).skip(start) {
            *slot = Some(n as u16);
        }
    }
    by_slot
}

fn a_node_is_gone(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || matches!(e.code(), Some("CLUSTERDOWN" | "MASTERDOWN" | "TRYAGAIN"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_slots_read_as_a_master_per_slot() {
        let node = |port: i64| {
            Value::Array(vec![
                Value::BulkString(b"127.0.0.1".to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let range = |start, end, port| {
            Value::Array(vec![
                Value::Int(start),
                Value::Int(end),
                node(port),
                node(port + 1000),
            ])
        };
        let reply = Value::Array(vec![
            range(0, 5460, 7000),
            range(10923, 16383, 7002),
            range(5461, 10922, 7001),
            range(100, 100, 7000),
        ]);
        let by_slot = masters_by_slot(&reply);
        assert_eq!(by_slot.len(), 16384);
        assert_eq!(
            (by_slot[0], by_slot[5460], by_slot[100]),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!((by_slot[5461], by_slot[10922]), (Some(2), Some(2)));
        assert_eq!((by_slot[10923], by_slot[16383]), (Some(1), Some(1)));
        assert!(masters_by_slot(&Value::Nil).iter().all(Option::is_none));
    }
}
