//! `REDIS_WAIT_REPLICAS` where no replica can answer (the test Redis, one
//! server or the cluster pass's masters, has none): every write holding a
//! subscriber's data waits out `REDIS_WAIT_TIMEOUT_MS`, the requests still
//! succeed, and `/metrics` counts the waits as short. The waits that reach
//! replicas are in `tests/cluster/replication.rs`.

use crate::helpers::{TestApp, spawn_app, spawn_app_with, unique_email};
use crate::metrics::{scrape, value};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ACKED: &str = r#"redis_hack_replication_waits_total{outcome="acked"}"#;
const SHORT: &str = r#"redis_hack_replication_waits_total{outcome="short"}"#;
const TIMEOUT_MS: u64 = 100;

#[tokio::test]
async fn without_replicas_the_writes_wait_out_the_timeout_and_still_succeed() {
    let timeout = TIMEOUT_MS.to_string();
    let app = spawn_app_with(&[
        ("REDIS_WAIT_REPLICAS", "1"),
        ("REDIS_WAIT_TIMEOUT_MS", &timeout),
    ])
    .await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    let started = Instant::now();
    let r = app
        .post("/v1/verify", &json!({"email": email, "code": code}))
        .await;
    let verify_took = started.elapsed();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The new user's document, the registered district's subscription and
    // the token: three waits of the whole timeout each (a lower bound only:
    // it shows the waits happened; how slow a loaded machine is on top of
    // them is not this test's business). Creating the user is one write: its
    // uid comes from its address, so there is no email lookup to write.
    let wait = Duration::from_millis(TIMEOUT_MS);
    assert!(verify_took >= 3 * wait, "verify took {verify_took:?}");
    let after_verify = scrape(&app).await;
    assert_eq!(value(&after_verify, SHORT), Some(3.0), "{after_verify}");
    assert_eq!(value(&after_verify, ACKED), Some(0.0));

    let started = Instant::now();
    let id = subscribe_to_a_pincode(&app, &token).await;
    let r = app
        .authed(Method::DELETE, &format!("/v1/subscriptions/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let took = started.elapsed();
    assert!(took >= 2 * wait, "subscribe and unsubscribe took {took:?}");
    let after = scrape(&app).await;
    assert_eq!(value(&after, SHORT), Some(5.0), "{after}");
    assert_eq!(value(&after, ACKED), Some(0.0));
}

#[tokio::test]
async fn by_default_no_write_waits_for_replicas() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    subscribe_to_a_pincode(&app, &token).await;
    let text = scrape(&app).await;
    assert_eq!(value(&text, SHORT), Some(0.0), "{text}");
    assert_eq!(value(&text, ACKED), Some(0.0));
}

/// A new pincode subscription through the API; its id.
async fn subscribe_to_a_pincode(app: &TestApp, token: &str) -> String {
    let r = app
        .authed(Method::POST, "/v1/subscriptions", token)
        .json(&json!({"pincode": "110001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}
