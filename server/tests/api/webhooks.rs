//! Webhooks end to end: the API, the email worker routing alerts, and the
//! webhook worker delivering them to a real HTTP receiver, with the retry,
//! disable and SSRF rules a receiver's owner would notice.

use crate::helpers::{API_AND_WORKERS, TestApp, error_of, spawn_app_with_roles, unique_email};
use crate::receiver::{Answer, Receiver};
use crate::subscriptions::list;
use redis_hack_server::webhook::sign::Secret;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

pub const PUBLISHER_KEY: &str = "test-publisher-key-0001";

/// Settings for fast retries against receivers on 127.0.0.1.
pub const FAST_WEBHOOKS: &[(&str, &str)] = &[
    ("WEBHOOK_ALLOW_PRIVATE", "true"),
    ("WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms,100ms,100ms"),
    ("PUBLISHER_KEYS", PUBLISHER_KEY),
];

/// A verified user subscribed to `topic` with `channels`; returns the
/// subscription as created (with the webhook secret), the email and the token.
pub async fn topic_subscriber(
    app: &TestApp,
    topic: &str,
    channels: Value,
) -> (Value, String, String) {
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"topic": topic, "channels": channels}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    (r.json().await.unwrap(), email, token)
}

/// Publishes an opening on `topic`; returns the answer's JSON.
pub async fn publish(app: &TestApp, topic: &str, id: &str, capacity: u32) -> Value {
    let r = app
        .http
        .post(app.url(&format!("/v1/topics/{topic}/openings")))
        .bearer_auth(PUBLISHER_KEY)
        .json(
            &json!({"id": id, "title": format!("Seat {id}"), "capacity": capacity,
                      "details": "CS101, Monday 9:00", "link": "https://uni.example/enrol"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_webhook_subscription_shows_its_secret_once_and_refuses_bad_urls() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (created, _, token) = topic_subscriber(
        &app,
        "cs101",
        json!({"email": false, "webhook": "https://hooks.example.com/in"}),
    )
    .await;
    let secret = created["webhook_secret"].as_str().unwrap();
    assert!(Secret::parse(secret).is_ok(), "{secret}");
    let listed = list(&app, &token).await.to_string();
    assert!(!listed.contains(secret), "list never shows the secret");
    assert!(listed.contains("https://hooks.example.com/in"));

    for (body, code, needle) in [
        (
            json!({"topic": "cs102", "channels": {"webhook": "ftp://x.example/"}}),
            "invalid_body",
            "only http",
        ),
        (
            json!({"topic": "cs102", "channels": {"email": false}}),
            "no_channel",
            "no webhook",
        ),
        (
            json!({"topic": "cs102", "filters": {"age": 18}}),
            "filter_not_for_topics",
            "min_capacity",
        ),
        (
            json!({"topic": "CS 102"}),
            "invalid_body",
            "not a valid topic",
        ),
    ] {
        let r = app
            .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (got, message) = error_of(r, 400).await;
        assert!(
            got == code && message.contains(needle),
            "{body}: {got} {message}"
        );
    }
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_id_and_a_valid_signature() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let hook = Receiver::start(&[
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(429),
    ])
    .await;
    let (created, _, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": hook.url})).await;
    assert_eq!(publish(&app, "cs101", "seat-1", 2).await["queued"], 1);
    let hits = hook.wait_for(4, Duration::from_secs(20)).await;
    assert_eq!(hits.len(), 4, "three failures, one success, nothing after");
    assert!(
        hits.iter().all(|h| h.id == hits[0].id),
        "same webhook-id on every retry"
    );
    assert!(hits[0].id.starts_with("msg_"));
    let secret = Secret::parse(created["webhook_secret"].as_str().unwrap()).unwrap();
    for h in &hits {
        secret
            .verify(&h.id, h.timestamp, h.body.as_bytes(), &h.signature, now())
            .expect("every attempt is signed");
    }
    let body: Value = serde_json::from_str(&hits[3].body).unwrap();
    assert_eq!(body["type"], "opening.published");
    assert_eq!(body["data"]["openings"][0]["id"], "seat-1");
    assert_eq!(body["data"]["subscription_id"], created["id"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.hits().len(), 4, "no delivery after the success");
    let sub = &list(&app, &token).await["subscriptions"][1];
    assert_eq!(sub["webhook"]["consecutive_failures"], 0, "{sub}");
    assert!(is_time(&sub["webhook"]["last_delivery_at"]), "{sub}");
}

#[tokio::test]
async fn a_410_disables_the_webhook_after_one_try_and_tells_the_owner() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let hook = Receiver::start(&[Answer::Status(410)]).await;
    let (_, email, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": hook.url})).await;
    publish(&app, "cs101", "seat-1", 1).await;
    hook.wait_for(1, Duration::from_secs(10)).await;
    let notice = app.mail.wait_for(&email, 2).await;
    assert!(
        notice[1]["subject"]
            .as_str()
            .unwrap()
            .contains("webhook was turned off")
    );
    assert!(notice[1]["text"].as_str().unwrap().contains("410 Gone"));
    let sub = &list(&app, &token).await["subscriptions"][1];
    assert!(is_time(&sub["webhook"]["disabled_at"]), "{sub}");
    publish(&app, "cs101", "seat-2", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        hook.hits().len(),
        1,
        "nothing is sent to a disabled webhook"
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_hold_up_the_others() {
    let app = spawn_app_with_roles(
        &[FAST_WEBHOOKS, &[("WEBHOOK_TIMEOUT", "60s")]].concat(),
        API_AND_WORKERS,
    )
    .await;
    let stuck = Receiver::start(&[Answer::Hang; 10]).await;
    let fine = Receiver::start(&[]).await;
    topic_subscriber(&app, "cs101", json!({"email": false, "webhook": stuck.url})).await;
    topic_subscriber(&app, "cs101", json!({"email": false, "webhook": fine.url})).await;
    for n in 0..5 {
        publish(&app, "cs101", &format!("seat-{n}"), 1).await;
    }
    // All five reach the healthy receiver while the stuck one still holds its
    // requests open (its timeout is a minute away).
    fine.wait_for(5, Duration::from_secs(20)).await;
    assert!(!stuck.hits().is_empty(), "the stuck receiver was tried");
}

#[tokio::test]
async fn a_webhook_to_a_private_address_is_refused_at_delivery() {
    let app = spawn_app_with_roles(&[("PUBLISHER_KEYS", PUBLISHER_KEY)], API_AND_WORKERS).await;
    let hook = Receiver::start(&[]).await;
    let by_name = hook.url.replace("127.0.0.1", "localhost");
    let (_, _, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": hook.url})).await;
    let (_, _, token2) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": by_name})).await;
    publish(&app, "cs101", "seat-1", 1).await;
    for t in [token, token2] {
        let mut result = Value::Null;
        for _ in 0..100 {
            result = list(&app, &t).await["subscriptions"][1]["webhook"]["last_result"].clone();
            if !result.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let result = result.as_str().unwrap_or_default().to_owned();
        assert!(
            result.contains("refused") && result.contains("not a public address"),
            "{result}"
        );
    }
    assert!(
        hook.hits().is_empty(),
        "no request reached the private address"
    );
}

#[tokio::test]
async fn a_webhook_failing_for_too_long_is_disabled_and_its_owner_told() {
    let app = spawn_app_with_roles(
        &[
            ("WEBHOOK_ALLOW_PRIVATE", "true"),
            ("PUBLISHER_KEYS", PUBLISHER_KEY),
            (
                "WEBHOOK_RETRY_SCHEDULE",
                "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
            ),
            ("WEBHOOK_DISABLE_AFTER", "1s"),
        ],
        API_AND_WORKERS,
    )
    .await;
    let hook = Receiver::start(&[Answer::Status(500); 20]).await;
    let (_, email, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": hook.url})).await;
    publish(&app, "cs101", "seat-1", 1).await;
    let notice = app.mail.wait_for(&email, 2).await;
    assert!(
        notice[1]["subject"]
            .as_str()
            .unwrap()
            .contains("webhook was turned off")
    );
    assert!(
        notice[1]["text"]
            .as_str()
            .unwrap()
            .contains("without a success")
    );
    let tries = hook.hits().len();
    assert!(
        (2..=8).contains(&tries),
        "retried until disabled, not beyond: {tries}"
    );
    let sub = &list(&app, &token).await["subscriptions"][1];
    assert!(is_time(&sub["webhook"]["disabled_at"]), "{sub}");
    assert_eq!(sub["webhook"]["consecutive_failures"], tries, "{sub}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hook.hits().len(), tries, "nothing after it was disabled");
}

/// An RFC 3339 time, as the API writes every time field.
fn is_time(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|t| redis_hack_shared::Timestamp::parse(t).is_ok())
}
