//! A Redis Cluster of the test's own: `masters` redis-server processes with
//! RedisJSON on free 127.0.0.1 ports, each with `replicas` replicas, joined
//! with `redis-cli --cluster create` (or one Redis and its replica, no
//! cluster). Every process is killed (and its directory removed) when the
//! `OwnCluster` is dropped, whatever the test did.

use crate::census::{masters, node_conn};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One redis-server of the cluster.
pub struct Node {
    pub port: u16,
    child: Option<Child>,
}

pub struct OwnCluster {
    pub nodes: Vec<Node>,
    dir: std::path::PathBuf,
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                child.kill().ok();
                child.wait().ok();
            }
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

impl OwnCluster {
    /// Starts and joins the cluster; waits (bounded) until every node says
    /// `cluster_state:ok` and every replica is in sync with its master.
    pub async fn start(masters: usize, replicas: usize, node_timeout_ms: u64) -> Self {
        let mut cluster = Self::empty("cluster");
        for _ in 0..masters * (1 + replicas) {
            let (bus, timeout) = (free_port().to_string(), node_timeout_ms.to_string());
            cluster.spawn(&[
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                &bus,
                "--cluster-node-timeout",
                &timeout,
            ]);
        }
        for node in &cluster.nodes {
            wait_for(
                Duration::from_secs(20),
                &format!("redis-server on port {}", node.port),
                || {
                    let port = node.port;
                    async move { node_conn(port).await.is_ok() }
                },
            )
            .await;
        }
        let addrs: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .expect("run redis-cli --cluster create");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
        wait_for(
            Duration::from_secs(30),
            "cluster_state:ok on every node and replicas in sync",
            || {
                let ports = ports.clone();
                async move { all_ok(&ports, masters).await }
            },
        )
        .await;
        cluster
    }

    /// No nodes yet, and a fresh directory for theirs.
    fn empty(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("redis-hack-{what}-{}", crate::hex(4)));
        std::fs::create_dir_all(&dir).unwrap();
        Self { nodes: vec![], dir }
    }

    /// Starts one more redis-server with RedisJSON on a free 127.0.0.1 port
    /// (no persistence, files and log under its own directory), with `args`.
    fn spawn(&mut self, args: &[&str]) -> u16 {
        let module = crate::env_or_explain("TEST_REDISJSON_MODULE");
        let port = free_port();
        let node_dir = self.dir.join(port.to_string());
        std::fs::create_dir_all(&node_dir).unwrap();
        let log = std::fs::File::create(node_dir.join("redis.log")).unwrap();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(args)
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&node_dir)
            .args(["--loadmodule", &module])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (scripts/test.sh installs Debian's redis-server)");
        self.nodes.push(Node {
            port,
            child: Some(child),
        });
        port
    }

    /// Not a cluster: one Redis and one replica of it (`--replicaof`), for
    /// the one-Redis path; waits (bounded) until the replica is in sync.
    /// `redis_url` names the master.
    pub async fn master_and_replica() -> Self {
        let mut pair = Self::empty("pair");
        let master = pair.spawn(&[]);
        wait_for(Duration::from_secs(20), "the master", || async move {
            node_conn(master).await.is_ok()
        })
        .await;
        let replica = pair.spawn(&["--replicaof", "127.0.0.1", &master.to_string()]);
        wait_for(
            Duration::from_secs(30),
            "the replica in sync",
            || async move {
                let Ok(mut conn) = node_conn(replica).await else {
                    return false;
                };
                let info: String = redis::cmd("INFO")
                    .arg("replication")
                    .query_async(&mut conn)
                    .await
                    .unwrap_or_default();
                info.contains("master_link_status:up")
            },
        )
        .await;
        pair
    }

    /// `redis://` naming the first node (the master of `master_and_replica`).
    pub fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.nodes[0].port)
    }

    /// `redis+cluster://` naming every node.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    /// `kill -9` of the node on `port`.
    pub fn kill(&mut self, port: u16) {
        let node = self.nodes.iter_mut().find(|n| n.port == port);
        let child = node
            .and_then(|n| n.child.as_mut())
            .expect("a running node on that port");
        child.kill().expect("SIGKILL the node");
        child.wait().ok();
    }

    /// Ports of the nodes still running.
    pub fn alive(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .filter(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
            .collect()
    }
}

/// Every node answers `cluster_state:ok`, there are `masters` masters, and
/// every replica's link to its master is up.
async fn all_ok(ports: &[u16], want_masters: usize) -> bool {
    for &port in ports {
        let Ok(mut conn) = node_conn(port).await else {
            return false;
        };
        let info: String = match redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(&mut conn)
            .await
        {
            Ok(i) => i,
            Err(_) => return false,
        };
        if !info.contains("cluster_state:ok") {
            return false;
        }
        let repl: String = match redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut conn)
            .await
        {
            Ok(i) => i,
            Err(_) => return false,
        };
        if repl.contains("role:slave") && !repl.contains("master_link_status:up") {
            return false;
        }
    }
    masters(ports[0])
        .await
        .is_ok_and(|m| m.len() == want_masters)
}

/// Polls `check` every 100 ms; panics naming `what` after `within`.
pub async fn wait_for<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < within,
            "{what}: not reached within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
