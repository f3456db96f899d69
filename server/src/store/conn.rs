//! Connections to one Redis or to a Redis Cluster, behind one type.
//!
//! `REDIS_URL` is a single server (`redis://`, `rediss://`, `redis+unix://`)
//! or a cluster: `redis+cluster://host:port[,host:port...]` (any reachable
//! nodes; the rest are discovered). Both reconnect by themselves. The key
//! names are the same in both: each key carries its own hash tag
//! (`Store::tagged`), so a cluster spreads the data over its masters, and
//! only keys of one tag group meet in one Lua script or MULTI/EXEC.

use super::StoreError;
use super::topology::ClusterConn;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::{Cmd, Pipeline, RedisFuture, Value};
use std::time::Duration;

const CLUSTER_SCHEME: &str = "redis+cluster://";

/// How to reach Redis: parsed from `REDIS_URL`.
#[derive(Clone)]
pub enum Client {
    Single(redis::Client),
    Cluster(Box<ClusterClient>),
}

/// A reconnecting connection to either kind of Redis.
#[derive(Clone)]
pub enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConn),
}

impl Client {
    pub fn open(url: &str) -> Result<Self, StoreError> {
        match url.strip_prefix(CLUSTER_SCHEME) {
            Some(nodes) => {
                let nodes: Vec<String> = nodes
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| format!("redis://{n}"))
                    .collect();
                ClusterClient::builder(nodes)
                    .connection_timeout(Duration::from_secs(3))
                    .response_timeout(Duration::from_secs(5))
                    .build()
                    .map(|c| Self::Cluster(Box::new(c)))
                    .map_err(StoreError::Unreachable)
            }
            None => redis::Client::open(url)
                .map(Self::Single)
                .map_err(StoreError::Unreachable),
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// A new reconnecting connection; fails within 10 s when Redis is unreachable.
    pub async fn connect(&self) -> Result<Conn, StoreError> {
        let connecting = async {
            match self {
                Self::Single(client) => {
                    let config = ConnectionManagerConfig::new()
                        .set_number_of_retries(2)
                        .set_connection_timeout(Some(Duration::from_secs(3)))
                        .set_response_timeout(Some(Duration::from_secs(5)));
                    ConnectionManager::new_with_config(client.clone(), config)
                        .await
                        .map(Conn::Single)
                }
                Self::Cluster(client) => client
                    .get_async_connection()
                    .await
                    .map(|conn| Conn::Cluster(ClusterConn::new((**client).clone(), conn))),
            }
        };
        tokio::time::timeout(Duration::from_secs(10), connecting)
            .await
            .map_err(|_| {
                StoreError::Unreachable(redis::RedisError::from(std::io::Error::from(
                    std::io::ErrorKind::TimedOut,
                )))
            })?
            .map_err(StoreError::Unreachable)
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => Box::pin(async move {
                let replied = c.current().req_packed_command(cmd).await;
                if let Err(e) = &replied {
                    c.after_error(e);
                }
                replied
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => Box::pin(async move {
                let replied = c.current().req_packed_commands(cmd, offset, count).await;
                if let Err(e) = &replied {
                    c.after_error(e);
                }
                replied
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.current().get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_url_names_its_nodes() {
        assert!(
            Client::open("redis+cluster://127.0.0.1:7000,127.0.0.1:7001")
                .unwrap()
                .is_cluster()
        );
        assert!(!Client::open("redis://127.0.0.1:6379").unwrap().is_cluster());
        assert!(Client::open("redis+cluster://").is_err(), "no nodes");
    }
}
