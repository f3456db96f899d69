//! Reading the whole store for `check`: SCAN over every key under the prefix
//! (on a cluster, on each master in turn: SCAN answers only for the node it
//! runs on), and many small commands sent at once.
//!
//! Batches are concurrent single commands, not pipelines: redis-rs refuses a
//! cluster pipeline whose keys fall in different slots ("crossed slots"),
//! and its connections multiplex concurrent commands onto one socket anyway.

use super::names::{Scanned, classify, pattern};
use crate::store::{Conn, Store, StoreError};
use futures_util::{StreamExt, TryStreamExt, stream};
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, FromRedisValue, Value};
use std::collections::BTreeMap;

/// Commands in flight at once.
const IN_FLIGHT: usize = 64;

/// Keys per SCAN step.
const SCAN_COUNT: u32 = 1000;

impl Store {
    /// Calls `each` with every key under the prefix and what it is; returns how many
    /// servers were scanned (1, or the number of masters) and how many keys.
    pub(super) async fn scan_keys(
        &self,
        mut each: impl FnMut(&str, Scanned),
    ) -> Result<(usize, u64), StoreError> {
        let routes = match &self.conn {
            Conn::Single(_) => vec![None],
            Conn::Cluster(_) => self.master_slots().await?.into_iter().map(Some).collect(),
        };
        let mut keys = 0;
        for route in &routes {
            let mut cursor = 0u64;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(pattern(&self.prefix))
                    .arg("COUNT")
                    .arg(SCAN_COUNT);
                let (next, batch): (u64, Vec<Vec<u8>>) = self.on_node(scan, *route).await?;
                for key in batch {
                    keys += 1;
                    if let Ok(key) = std::str::from_utf8(&key) {
                        each(key, classify(&self.prefix, key));
                    }
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        Ok((routes.len(), keys))
    }

    /// One slot served by each master of the cluster (CLUSTER SLOTS), so a
    /// command routed by that slot reaches that master.
    async fn master_slots(&self) -> Result<Vec<u16>, StoreError> {
        let mut slots = redis::cmd("CLUSTER");
        slots.arg("SLOTS");
        let ranges: Vec<Vec<Value>> = self.on_node(slots, None).await?;
        let mut first_slot: BTreeMap<String, u16> = BTreeMap::new();
        for range in ranges {
            let bad = || StoreError::Corrupt("an odd CLUSTER SLOTS reply".into());
            let start: u16 = range
                .first()
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(bad)?;
            let master: Vec<Value> = range
                .get(2)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(bad)?;
            let host: String = master
                .first()
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(bad)?;
            let port: u16 = master
                .get(1)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .ok_or_else(bad)?;
            first_slot.entry(format!("{host}:{port}")).or_insert(start);
        }
        Ok(first_slot.into_values().collect())
    }

    /// `cmd` on the master serving `slot`, or wherever the connection sends it.
    async fn on_node<T: FromRedisValue>(
        &self,
        cmd: Cmd,
        slot: Option<u16>,
    ) -> Result<T, StoreError> {
        let value = match (self.conn(), slot) {
            (Conn::Cluster(handle), slot) => {
                let mut c = handle.current();
                let node = match slot {
                    Some(slot) => {
                        SingleNodeRoutingInfo::SpecificNode(Route::new(slot, SlotAddr::Master))
                    }
                    None => SingleNodeRoutingInfo::RandomPrimary,
                };
                c.route_command(cmd, RoutingInfo::SingleNode(node)).await?
            }
            (mut conn, _) => cmd.query_async::<Value>(&mut conn).await?,
        };
        redis::from_redis_value(value)
            .map_err(|e| StoreError::Corrupt(format!("a reply while checking the store: {e}")))
    }

    /// Runs `cmds` (many at once) and returns their replies in order.
    pub(super) async fn each<T: FromRedisValue>(
        &self,
        cmds: Vec<Cmd>,
    ) -> Result<Vec<T>, StoreError> {
        stream::iter(cmds)
            .map(|cmd| {
                let mut conn = self.conn();
                async move { cmd.query_async::<T>(&mut conn).await }
            })
            .buffered(IN_FLIGHT)
            .map_err(StoreError::from)
            .try_collect()
            .await
    }

    /// Runs the writes `cmds` (many at once).
    pub(super) async fn apply(&self, cmds: Vec<Cmd>) -> Result<(), StoreError> {
        self.each::<Value>(cmds).await.map(drop)
    }
}
