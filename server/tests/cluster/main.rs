//! Cluster tests (issue 14): how the store spreads over the masters of a
//! Redis Cluster, what a master's failover costs a fan-out in flight, and
//! the writes that wait for replicas (`REDIS_WAIT_REPLICAS`).
//! Their own test binary, so the suite's cluster pass (which runs the `api`
//! binary against `TEST_CLUSTER_URL`) does not run them twice. They need
//! `TEST_CLUSTER_URL` (the 3-master cluster scripts/test.sh starts) and
//! `TEST_REDISJSON_MODULE` (for the cluster with replicas the failover test
//! starts itself), and fail, naming the variable, without them.

mod census;
mod distribution;
mod failover;
mod moved;
mod nodes;
mod replication;
#[path = "../api/sink.rs"]
mod sink;

use redis_hack_server::app::Roles;
use redis_hack_server::{Application, Settings};
use std::collections::HashMap;

const HOW_TO: &str = "run the tests with `bash scripts/test.sh`, which starts a 3-master Redis Cluster with RedisJSON and sets TEST_CLUSTER_URL and TEST_REDISJSON_MODULE";

pub fn env_or_explain(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {HOW_TO}"))
}

pub fn hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// The port of the first node of a `redis+cluster://host:port,...` URL.
pub fn first_port(url: &str) -> u16 {
    url.trim_start_matches("redis+cluster://")
        .split(',')
        .next()
        .and_then(|n| n.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("{url} is not redis+cluster://host:port,..."))
}

/// A server running in this process; it shuts down when dropped.
pub struct Server {
    pub base_url: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Starts the server on `redis_url` under `prefix` with `roles`, `vars` on
/// top of the defaults below.
pub async fn start_server(
    redis_url: &str,
    prefix: &str,
    roles: Roles,
    vars: &[(&str, String)],
) -> Server {
    let mut all: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("REDIS_URL".into(), redis_url.into()),
        ("REDIS_KEY_PREFIX".into(), prefix.into()),
        (
            "MAIL_FROM".into(),
            "redis-hack tests <tests@redis-hack.test>".into(),
        ),
        ("SHUTDOWN_GRACE".into(), "1s".into()),
    ]);
    for (k, v) in vars {
        all.insert((*k).into(), v.clone());
    }
    let settings = Settings::from_vars(|k| all.get(k).cloned()).expect("test settings are valid");
    let app = Application::build(settings, roles)
        .await
        .unwrap_or_else(|e| panic!("the server did not start: {e:#}"));
    let base_url = format!("http://{}", app.local_addr().expect("the server listens"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run(async {
        rx.await.ok();
    }));
    Server {
        base_url,
        _shutdown: tx,
    }
}
