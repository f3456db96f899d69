//! `REDIS_WAIT_REPLICAS=1` where every master has a replica: on a cluster of
//! our own (3 masters, one replica each) and on one Redis with a replica,
//! sign-ups through the API (register with a district, verify: the new
//! user's document, the subscription and the token) wait for the replica of
//! each key's master, and `/metrics` counts every wait as acked. The
//! cluster case also measures what the waits cost a sign-up.

use crate::distribution::sign_up;
use crate::nodes::OwnCluster;
use crate::sink::SmtpSink;
use crate::{hex, start_server};
use redis_hack_server::app::Roles;
use std::time::{Duration, Instant};

const API: Roles = Roles {
    api: true,
    poller: false,
    worker: false,
};
/// Patna, in the simulator's snapshot.
const DISTRICT: u64 = 97;

/// `redis_hack_replication_waits_total{outcome}` on `base_url`'s `/metrics`.
async fn waits(base_url: &str, outcome: &str) -> f64 {
    let text = reqwest::get(format!("{base_url}/metrics"))
        .await
        .expect("/metrics answers")
        .text()
        .await
        .unwrap();
    let series = format!(r#"redis_hack_replication_waits_total{{outcome="{outcome}"}} "#);
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        .parse()
        .unwrap()
}

/// Signs `n` people up one after the other on `base_url`; the mean time of one.
async fn sign_ups(base_url: &str, sink: &SmtpSink, n: usize) -> Duration {
    let http = reqwest::Client::new();
    let tag = hex(3);
    let started = Instant::now();
    for i in 0..n {
        let email = format!("wait-{tag}-{i}@example.com");
        sign_up(&http, base_url, sink, &email, DISTRICT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    started.elapsed() / n as u32
}

/// A server on `redis_url` with the simulator, the sink and `wait` replicas.
async fn server(
    redis_url: &str,
    sim: &cowin_sim::Simulator,
    sink: &SmtpSink,
    wait: &str,
) -> crate::Server {
    let prefix = format!("test:{}:", hex(6));
    let vars = [
        ("COWIN_API_URL", sim.base_url()),
        ("SMTP_URL", sink.url()),
        ("REDIS_WAIT_REPLICAS", wait.into()),
        // Generous: two shared cores; a healthy replica answers in ~1 ms.
        ("REDIS_WAIT_TIMEOUT_MS", "2000".into()),
        ("RATE_LIMIT_IP_PER_HOUR", "1000000".into()),
        ("VERIFY_LIMIT_IP_PER_HOUR", "1000000".into()),
    ];
    start_server(redis_url, &prefix, API, &vars).await
}

async fn simulator() -> cowin_sim::Simulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    cowin_sim::Simulator::start(listener).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_with_replicas_every_wait_of_a_sign_up_is_acked() {
    const PEOPLE: usize = 100;
    const WARM_UP: usize = 5;
    let cluster = OwnCluster::start(3, 1, 5_000).await;
    let (sim, sink) = (simulator().await, SmtpSink::start().await);
    let plain = server(&cluster.url(), &sim, &sink, "0").await;
    let waiting = server(&cluster.url(), &sim, &sink, "1").await;
    sign_ups(&plain.base_url, &sink, WARM_UP).await;
    sign_ups(&waiting.base_url, &sink, WARM_UP).await;
    let without = sign_ups(&plain.base_url, &sink, PEOPLE).await;
    let with_wait = sign_ups(&waiting.base_url, &sink, PEOPLE).await;
    assert_eq!(waits(&waiting.base_url, "short").await, 0.0);
    assert_eq!(
        waits(&waiting.base_url, "acked").await,
        (3 * (WARM_UP + PEOPLE)) as f64,
        // The user is one write (its uid comes from its address: no lookup).
        "three waits per sign-up: document, subscription, token"
    );
    eprintln!(
        "MEASURED sign-up (register + verify, one at a time, debug build) on 3 masters with a replica each: {with_wait:?} with REDIS_WAIT_REPLICAS=1, {without:?} without ({PEOPLE} each)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_redis_with_a_replica_every_wait_of_a_sign_up_is_acked() {
    const PEOPLE: usize = 5;
    let pair = OwnCluster::master_and_replica().await;
    let (sim, sink) = (simulator().await, SmtpSink::start().await);
    let waiting = server(&pair.redis_url(), &sim, &sink, "1").await;
    sign_ups(&waiting.base_url, &sink, PEOPLE).await;
    assert_eq!(waits(&waiting.base_url, "short").await, 0.0);
    assert_eq!(waits(&waiting.base_url, "acked").await, (3 * PEOPLE) as f64);
}
