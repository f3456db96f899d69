//! Faults, measured: a worker process killed with SIGKILL in the middle of a
//! 10,000-subscriber fan-out, the SMTP server down for 60 s, and Redis
//! restarted under a running server. Each test proves nothing is lost and
//! prints what it measured (duplicates, counts) for the closing notes.

use crate::helpers::{
    API_AND_WORKERS, env_or_explain, hex, spawn_app_with, spawn_app_with_roles, subscriber,
};
use crate::sink::SmtpSink;
use crate::webhooks::{PUBLISHER_KEY, publish};
use redis_hack_server::store::Store;
use redis_hack_shared::{Target, TopicName};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Creates `n` users subscribed to `topic` by email, straight in the store
/// (signing 10,000 people up over HTTP would test the rate limits instead).
pub async fn subscribers(store: &Store, topic: &str, n: usize) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut emails = Vec::new();
    for i in 0..n {
        let (store, email) = (store.clone(), format!("fan-{i}-{}@example.com", hex(3)));
        emails.push(email.clone());
        let topic = TopicName::parse(topic).unwrap();
        tasks.spawn(async move { subscriber(&store, &email, Target::Topic { topic }).await });
        if tasks.len() >= 200 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    emails
}

/// A `redis-hack-server worker` process on `prefix`, sending through `smtp`.
fn worker_process(prefix: &str, smtp: &str) -> Child {
    worker_process_with(prefix, smtp, &[])
}

/// The same, with extra settings.
pub fn worker_process_with(prefix: &str, smtp: &str, extra: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
        .arg("worker")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", prefix)
        .env("SMTP_URL", smtp)
        .env("MAIL_FROM", "redis-hack tests <tests@redis-hack.test>")
        .env("QUEUE_RECLAIM_IDLE", "2s")
        .env("LOG", "warn")
        .envs(extra.iter().copied())
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-hack-server worker")
}

#[tokio::test]
async fn a_worker_killed_mid_fan_out_loses_no_alert() {
    const N: usize = 10_000;
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let emails = subscribers(&store, "fan", N).await;
    let sink = SmtpSink::start().await;
    let mut first = worker_process(&app.prefix, &sink.url());
    let started = Instant::now();
    assert_eq!(publish(&app, "fan", "seat-1", 1).await["queued"], N);
    sink.wait_for_count(N / 4, Duration::from_secs(120)).await;
    first.start_kill().unwrap(); // SIGKILL: no chance to finish or acknowledge
    first.wait().await.unwrap();
    let at_kill = sink.count();
    let _second = worker_process(&app.prefix, &sink.url());
    let deadline = Instant::now() + Duration::from_secs(180);
    while sink.per_recipient().len() < N && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = sink.per_recipient();
    let missing: Vec<&String> = emails.iter().filter(|e| !got.contains_key(*e)).collect();
    assert!(
        missing.is_empty(),
        "{} subscribers got nothing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let duplicates = sink.count() - N;
    eprintln!(
        "MEASURED kill -9: {N} subscribers, killed after {at_kill} sent, all delivered in {:.1} s, {duplicates} duplicate(s)",
        started.elapsed().as_secs_f64()
    );
    // At-least-once: only deliveries in flight at the kill (at most
    // WORKER_CONCURRENCY, 16) can go out twice.
    assert!(duplicates <= 16, "{duplicates} duplicates");
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_for_a_minute_all_arrives() {
    const N: usize = 300;
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = spawn_app_with_roles(
        &[
            ("PUBLISHER_KEYS", PUBLISHER_KEY),
            ("SMTP_URL", &smtp),
            ("RETRY_BASE", "1s"),
            ("RETRY_MAX", "5s"),
            ("RETRY_ATTEMPTS", "40"),
        ],
        API_AND_WORKERS,
    )
    .await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let emails = subscribers(&store, "down", N).await;
    sink.stop().await;
    assert_eq!(publish(&app, "down", "seat-1", 1).await["queued"], N);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        sink.count(),
        0,
        "nothing can arrive while the server is down"
    );
    let back = Instant::now();
    sink.resume().await;
    sink.wait_for_count(N, Duration::from_secs(60)).await;
    let got = sink.per_recipient();
    assert!(
        emails.iter().all(|e| got.contains_key(e)),
        "every subscriber got the alert"
    );
    eprintln!(
        "MEASURED smtp down 60 s: {N} alerts all arrived {:.1} s after it came back, {} duplicate(s)",
        back.elapsed().as_secs_f64(),
        sink.count() - N
    );
}

/// A Redis with RedisJSON and AOF (fsync on every write) on `port`, in `dir`.
fn redis_server(port: u16, dir: &std::path::Path) -> Child {
    let module = env_or_explain("TEST_REDISJSON_MODULE");
    Command::new(std::env::var("TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into()))
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .arg("--dir")
        .arg(dir)
        .args(["--loadmodule", &module])
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-server (scripts/test.sh installs it)")
}

async fn wait_for_redis(url: &str) {
    for _ in 0..100 {
        if Store::connect(url, "probe:").await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test's own redis-server did not come up at {url}");
}

#[tokio::test]
async fn the_queue_survives_a_redis_restart_and_the_server_reconnects() {
    const N: usize = 20;
    let dir = std::env::temp_dir().join(format!("redis-hack-aof-{}", hex(4)));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let mut redis = redis_server(port, &dir);
    wait_for_redis(&url).await;
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = spawn_app_with_roles(
        &[
            ("PUBLISHER_KEYS", PUBLISHER_KEY),
            ("REDIS_URL", &url),
            ("SMTP_URL", &smtp),
            ("RETRY_BASE", "1s"),
            ("RETRY_MAX", "2s"),
            ("RETRY_ATTEMPTS", "40"),
        ],
        API_AND_WORKERS,
    )
    .await;
    let store = Store::connect(&url, &app.prefix).await.unwrap();
    let emails = subscribers(&store, "restart", N).await;
    sink.stop().await;
    assert_eq!(publish(&app, "restart", "before", 1).await["queued"], N);
    tokio::time::sleep(Duration::from_secs(2)).await; // jobs tried once and parked
    redis.start_kill().unwrap(); // SIGKILL: only what AOF has survives
    redis.wait().await.unwrap();
    let mut redis = redis_server(port, &dir);
    wait_for_redis(&url).await;
    sink.resume().await;
    sink.wait_for_count(N, Duration::from_secs(60)).await;
    // The API reconnected by itself too: a new opening goes through.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = app
            .http
            .post(app.url("/v1/topics/restart/openings"))
            .bearer_auth(PUBLISHER_KEY)
            .json(&serde_json::json!({"id": "after", "title": "Seat", "capacity": 1}))
            .send()
            .await
            .unwrap();
        if r.status() == 202 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the API did not recover: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sink.wait_for_count(2 * N, Duration::from_secs(30)).await;
    let got = sink.per_recipient();
    assert!(
        emails.iter().all(|e| got.get(e).copied().unwrap_or(0) >= 2),
        "both alerts reached everyone"
    );
    redis.start_kill().ok();
    std::fs::remove_dir_all(&dir).ok();
}
