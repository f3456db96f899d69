//! Graceful shutdown of a real `redis-hack-server worker` process: SIGTERM
//! stops it taking new jobs, lets the deliveries in flight finish within
//! SHUTDOWN_GRACE, and leaves the rest queued, so another worker delivers
//! them with nothing lost and nothing sent twice. A delivery still running at
//! the deadline is abandoned unacknowledged and another worker reclaims it.

use crate::faults::{subscribers, worker_process_with};
use crate::helpers::{env_or_explain, spawn_app_with};
use crate::sink::SmtpSink;
use crate::webhooks::{PUBLISHER_KEY, publish};
use redis_hack_server::store::Store;
use std::time::{Duration, Instant};
use tokio::process::Child;

/// Sends SIGTERM, as `docker stop` and systemd do.
fn terminate(child: &Child) {
    let pid = child.id().expect("the worker is running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid} failed");
}

/// Waits for `check`, polling; panics with `what` after `within`.
async fn until(what: &str, within: Duration, check: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigterm_finishes_deliveries_in_flight_and_leaves_the_rest_for_another_worker() {
    const N: usize = 6;
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let emails = subscribers(&store, "grace", N).await;
    // Each message takes 2 s to be accepted; two are sent at a time.
    let slow = SmtpSink::start_slow(Duration::from_secs(2)).await;
    let settings = [
        ("WORKER_CONCURRENCY", "2"),
        ("SMTP_POOL_SIZE", "2"),
        ("SHUTDOWN_GRACE", "10s"),
    ];
    let mut first = worker_process_with(&app.prefix, &slow.url(), &settings);
    assert_eq!(publish(&app, "grace", "seat-1", 1).await["queued"], N);
    until("a delivery in flight", Duration::from_secs(30), || {
        slow.in_flight() > 0
    })
    .await;
    let in_flight_at_term = slow.in_flight();
    let asked = Instant::now();
    terminate(&first);
    let exit = tokio::time::timeout(Duration::from_secs(15), first.wait())
        .await
        .expect("the worker exits within SHUTDOWN_GRACE")
        .unwrap();
    let took = asked.elapsed();
    assert!(exit.success(), "a graceful stop exits 0, not {exit}");
    let delivered_by_first = slow.count();
    assert!(
        delivered_by_first >= in_flight_at_term && delivered_by_first <= 2,
        "the {in_flight_at_term} message(s) in flight at SIGTERM were finished and no new one \
         was started: {delivered_by_first} delivered"
    );
    assert!(
        took >= Duration::from_millis(500),
        "it waited for the delivery in flight (exited after {took:?})"
    );
    let fast = SmtpSink::start().await;
    let _second = worker_process_with(&app.prefix, &fast.url(), &[]);
    fast.wait_for_count(N - delivered_by_first, Duration::from_secs(60))
        .await;
    let mut got: Vec<String> = slow.per_recipient().into_keys().collect();
    got.extend(fast.per_recipient().into_keys());
    got.sort();
    let mut want = emails.clone();
    want.sort();
    assert_eq!(
        got, want,
        "every subscriber got exactly one alert across both workers"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slow.count() + fast.count(), N, "no alert was sent twice");
}

#[tokio::test]
async fn a_delivery_still_running_at_the_deadline_is_left_for_another_worker() {
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let emails = subscribers(&store, "deadline", 1).await;
    // A relay that takes a minute per message: far past the deadline.
    let stuck = SmtpSink::start_slow(Duration::from_secs(60)).await;
    let settings = [("WORKER_CONCURRENCY", "1"), ("SHUTDOWN_GRACE", "1s")];
    let mut first = worker_process_with(&app.prefix, &stuck.url(), &settings);
    assert_eq!(publish(&app, "deadline", "seat-1", 1).await["queued"], 1);
    until("the delivery in flight", Duration::from_secs(30), || {
        stuck.in_flight() == 1
    })
    .await;
    let asked = Instant::now();
    terminate(&first);
    let exit = tokio::time::timeout(Duration::from_secs(10), first.wait())
        .await
        .expect("the worker gives up at SHUTDOWN_GRACE instead of waiting for the relay")
        .unwrap();
    assert!(exit.success(), "{exit}");
    assert!(
        asked.elapsed() < Duration::from_secs(6),
        "stopped at the 1 s deadline, not after {:?}",
        asked.elapsed()
    );
    assert_eq!(
        stuck.count(),
        0,
        "the stuck relay never accepted the message"
    );
    // The job was never acknowledged: another worker takes it over after
    // QUEUE_RECLAIM_IDLE (2 s in these tests) and delivers it.
    let fast = SmtpSink::start().await;
    let _second = worker_process_with(&app.prefix, &fast.url(), &[]);
    fast.wait_for_count(1, Duration::from_secs(60)).await;
    assert!(fast.per_recipient().contains_key(&emails[0]));
}
