//! What operators scrape and probe: `/metrics` moves with real deliveries,
//! polls and requests (and never shows a raw path), reads the queues and the
//! budget from Redis, and `/readyz` says whether Redis and SMTP answer.

use crate::helpers::{API_AND_WORKERS, TestApp, spawn_app_with, spawn_app_with_roles};
use crate::poller::{MIN, rig};
use crate::receiver::Receiver;
use crate::webhooks::{FAST_WEBHOOKS, PUBLISHER_KEY, publish, topic_subscriber};
use redis_hack_server::app::Roles;
use serde_json::{Value, json};
use std::time::Duration;

/// The whole exposition, checking its content type.
pub async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}

/// The value of one series, e.g. `redis_hack_polls_total{outcome="200"}`.
pub fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

fn must(text: &str, series: &str) -> f64 {
    value(text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

/// Scrapes until every series in `moved` is above its value in `before` (10 s at most).
async fn until_moved(app: &TestApp, before: &str, moved: &[&str]) -> String {
    for _ in 0..100 {
        let now = scrape(app).await;
        if moved
            .iter()
            .all(|s| value(&now, s).unwrap_or(0.0) > value(before, s).unwrap_or(0.0))
        {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now = scrape(app).await;
    let stuck: Vec<_> = moved
        .iter()
        .filter(|s| value(&now, s).unwrap_or(0.0) <= value(before, s).unwrap_or(0.0))
        .collect();
    panic!("{stuck:?} did not move within 10 s:\n{now}");
}

#[tokio::test]
async fn a_delivered_opening_moves_the_delivery_counters_and_both_latency_histograms() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let hook = Receiver::start(&[]).await;
    let (_, email, _) = topic_subscriber(&app, "cs101", json!({"webhook": hook.url})).await;
    let before = scrape(&app).await;
    publish(&app, "cs101", "seat-1", 1).await;
    app.mail.wait_for(&email, 2).await;
    hook.wait_for(1, Duration::from_secs(10)).await;
    let after = until_moved(
        &app,
        &before,
        &[
            r#"redis_hack_deliveries_total{channel="email",outcome="delivered"}"#,
            r#"redis_hack_deliveries_total{channel="webhook",outcome="delivered"}"#,
            r#"redis_hack_delivery_attempt_duration_seconds_count{channel="email"}"#,
            r#"redis_hack_delivery_attempt_duration_seconds_count{channel="webhook"}"#,
            r#"redis_hack_detection_to_delivery_seconds_count{channel="email"}"#,
            r#"redis_hack_detection_to_delivery_seconds_count{channel="webhook"}"#,
            r#"redis_hack_openings_detected_total{kind="topic"}"#,
            r#"redis_hack_alert_jobs_queued_total{kind="topic"}"#,
        ],
    )
    .await;
    let route = r#"redis_hack_http_request_duration_seconds_count{method="POST",route="/v1/topics/{topic}/openings",status="202"}"#;
    assert!(must(&after, route) >= 1.0);
    for state in ["queued", "retrying", "dead"] {
        must(
            &after,
            &format!(r#"redis_hack_queue_jobs{{queue="email",state="{state}"}}"#),
        );
        must(
            &after,
            &format!(r#"redis_hack_queue_jobs{{queue="webhook",state="{state}"}}"#),
        );
    }
    assert_eq!(must(&after, "redis_hack_redis_up"), 1.0);
}

#[tokio::test]
async fn requests_are_timed_by_route_template_never_by_their_path() {
    let app = spawn_app_with(&[]).await;
    let token = "abc123secrettoken";
    app.get(&format!("/unsubscribe/{token}")).await;
    app.get("/no/such/page/xyz789").await;
    let text = scrape(&app).await;
    assert!(text.contains(r#"route="/unsubscribe/{token}""#), "{text}");
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains(token) && !text.contains("xyz789"), "{text}");
}

#[tokio::test]
async fn queued_jobs_show_in_the_queue_depth_and_the_oldest_job_age() {
    // No worker: the job waits on the stream.
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    topic_subscriber(&app, "cs101", json!({})).await;
    assert_eq!(publish(&app, "cs101", "seat-1", 1).await["queued"], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let text = scrape(&app).await;
    let queued = r#"redis_hack_queue_jobs{queue="email",state="queued"}"#;
    assert_eq!(must(&text, queued), 1.0);
    let age = must(
        &text,
        r#"redis_hack_queue_oldest_job_age_seconds{queue="email"}"#,
    );
    assert!((1.0..60.0).contains(&age), "oldest job age {age}");
    let idle = r#"redis_hack_queue_oldest_job_age_seconds{queue="webhook"}"#;
    assert_eq!(must(&text, idle), 0.0, "an empty queue has no oldest job");
}

#[tokio::test]
async fn a_poll_round_counts_its_200s_304s_openings_and_the_budget_in_use() {
    let rig = rig().await;
    rig.patna_user(json!({})).await;
    let before = scrape(&rig.app).await;
    rig.fake.set_sessions(97, &[("s-1", 5, 0), ("s-2", 3, 0)]);
    let t0 = 1_900_000_000_000;
    assert_eq!(rig.poller.poll_once(t0).await.unwrap().fetched, 1);
    let round = rig.poller.poll_once(t0 + 2 * MIN).await.unwrap();
    assert_eq!(round.not_modified, 1);
    let after = scrape(&rig.app).await;
    let delta = |s: &str| must(&after, s) - must(&before, s);
    assert!(delta(r#"redis_hack_polls_total{outcome="200"}"#) >= 1.0);
    assert!(delta(r#"redis_hack_polls_total{outcome="304"}"#) >= 1.0);
    assert!(delta(r#"redis_hack_openings_detected_total{kind="district"}"#) >= 2.0);
    assert!(delta(r#"redis_hack_alert_jobs_queued_total{kind="district"}"#) >= 1.0);
    // Read from this test's keys in Redis: the two calls of this poller.
    assert_eq!(must(&after, "redis_hack_poll_budget_in_use"), 2.0);
    assert_eq!(must(&after, "redis_hack_poll_budget_calls"), 100.0);
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let r = app.get("/readyz").await;
    (r.status().as_u16(), r.json().await.unwrap())
}

/// An SMTP address nothing listens on.
async fn closed_smtp() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("smtp://{addr}")
}

#[tokio::test]
async fn readyz_is_ready_when_redis_and_smtp_answer() {
    let app = spawn_app_with(&[]).await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "ready", "checks": [
            {"name": "redis", "ok": true},
            {"name": "smtp", "ok": true},
        ]})
    );
}

#[tokio::test]
async fn readyz_is_not_ready_and_says_why_when_smtp_is_unreachable() {
    let smtp = closed_smtp().await;
    let app = spawn_app_with(&[("SMTP_URL", &smtp)]).await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"][0], json!({"name": "redis", "ok": true}));
    let check = &body["checks"][1];
    assert_eq!(check["name"], "smtp");
    assert_eq!(check["ok"], false);
    let detail = check["detail"].as_str().expect("a detail");
    assert!(detail.contains("SMTP"), "{detail}");
    assert!(!detail.contains(&smtp), "no configured URL in it: {detail}");
}

#[tokio::test]
async fn a_poller_needs_no_smtp_to_be_ready_and_serves_metrics_too() {
    let poller = Roles {
        api: false,
        poller: true,
        worker: false,
    };
    let app = spawn_app_with_roles(&[("SMTP_URL", &closed_smtp().await)], poller).await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"], json!([{"name": "redis", "ok": true}]));
    assert_eq!(must(&scrape(&app).await, "redis_hack_redis_up"), 1.0);
}
