//! Scale-out: three `redis-hack-server` processes (api, poller and worker
//! roles each) on one Redis. The poll budget is shared and kept, no district
//! is polled by two processes at once, the deliveries of one fan-out spread
//! over all three workers, and no subscriber gets the alert twice.

use crate::helpers::{district, env_or_explain, hex, subscriber};
use crate::sink::SmtpSink;
use redis_hack_server::store::Store;
use serde_json::json;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BUDGET_CALLS: usize = 10;
const BUDGET_WINDOW: Duration = Duration::from_secs(10);
const DISTRICTS: [u32; 5] = [97, 90, 91, 92, 93];

/// A server process; counts the "alert delivered" lines it logs.
fn server(prefix: &str, smtp: &str, cowin: &str, delivered: Arc<AtomicUsize>) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
        .arg("all")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", prefix)
        .env("SMTP_URL", smtp)
        .env("COWIN_API_URL", cowin)
        .env("MAIL_FROM", "redis-hack tests <tests@redis-hack.test>")
        .env("POLL_BUDGET", "10/10s")
        .env("POLL_MIN_INTERVAL", "2s")
        .env("POLL_MAX_INTERVAL", "20s")
        .env("WORKER_CONCURRENCY", "8")
        .env("LOG", "warn,redis_hack_server::alerts=info")
        .stderr(Stdio::piped()) // where the server logs
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-hack-server");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("alert delivered") {
                delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    child
}

#[tokio::test]
async fn three_processes_share_the_budget_the_districts_and_the_deliveries() {
    const N: usize = 1_500;
    let sim =
        cowin_sim::Simulator::start(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
            .await;
    let sink = SmtpSink::start().await;
    let prefix = format!("test:{}:", hex(6));
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &prefix)
        .await
        .unwrap();
    let emails: Vec<String> = (0..N)
        .map(|i| format!("scale-{i}-{}@example.com", hex(3)))
        .collect();
    for email in &emails {
        subscriber(&store, email, district(97)).await;
    }
    for d in &DISTRICTS[1..] {
        subscriber(
            &store,
            &format!("other-{d}-{}@example.com", hex(3)),
            district(*d),
        )
        .await;
    }
    let counts: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::default()).collect();
    let _servers: Vec<Child> = counts
        .iter()
        .map(|c| server(&prefix, &sink.url(), &sim.base_url(), c.clone()))
        .collect();
    // Let every process poll the (closed) districts once, then open a session in Patna.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let r = reqwest::Client::new()
        .post(format!("{}/control/open", sim.root_url()))
        .json(&json!({"district_id": 97, "dose1": 20}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(90);
    while sink.per_recipient().len() < N && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Keep polling a while longer, so the budget and the claims are exercised.
    tokio::time::sleep(Duration::from_secs(6)).await;

    let got = sink.per_recipient();
    let missing = emails.iter().filter(|e| !got.contains_key(*e)).count();
    assert_eq!(missing, 0, "{missing} of {N} subscribers got no alert");
    let twice: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "duplicates: {twice:?}");
    let per_process: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(per_process.iter().sum::<usize>(), N, "{per_process:?}");
    assert!(
        per_process.iter().all(|n| *n > 0),
        "every worker took a share of the fan-out: {per_process:?}"
    );

    let polls = calendar_polls(&sim);
    assert!(
        polls.len() >= BUDGET_CALLS,
        "the districts were polled: {polls:?}"
    );
    // The budget: no window of 10 s (less a little for request latency) holds more than 10 calls.
    let window = BUDGET_WINDOW - Duration::from_millis(200);
    for (i, (t, _)) in polls.iter().enumerate() {
        let within = polls[i..]
            .iter()
            .take_while(|(u, _)| *u - *t < window)
            .count();
        assert!(
            within <= BUDGET_CALLS,
            "{within} calls within {window:?} from call {i}"
        );
    }
    // One process at a time: polls of one district are never closer than the
    // minimum interval allows (2 s, less the ±10% jitter).
    let mut last: HashMap<u32, Instant> = HashMap::new();
    for (t, district) in &polls {
        if let Some(prev) = last.insert(*district, *t) {
            let gap = *t - prev;
            assert!(
                gap >= Duration::from_millis(1_500),
                "district {district} polled twice within {gap:?}"
            );
        }
    }
    eprintln!(
        "MEASURED scale-out: {N} alerts, per process {per_process:?}, {} polls, 0 duplicates",
        polls.len()
    );
}

/// (when, district) of every calendar request the simulator answered, in order.
fn calendar_polls(sim: &cowin_sim::Simulator) -> Vec<(Instant, u32)> {
    sim.requests()
        .into_iter()
        .filter(|(_, uri)| uri.contains("calendarByDistrict"))
        .filter_map(|(t, uri)| {
            let id = uri
                .split("district_id=")
                .nth(1)?
                .split('&')
                .next()?
                .parse()
                .ok()?;
            Some((t, id))
        })
        .collect()
}
