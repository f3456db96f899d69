//! `GET /v1/subscriptions` as a conditional GET: the ETag and Last-Modified
//! come from the user's version, which every change to what the list shows
//! bumps (subscriptions, a match, an alert, a webhook's state) and a poll
//! alone does not. A client holding old validators gets 200 after any such
//! change, and 304 while nothing changed.

use crate::helpers::{API_AND_WORKERS, TestApp, spawn_app, spawn_app_with_roles, unique_email};
use crate::receiver::{Answer, Receiver};
use crate::simulated::pipeline;
use crate::webhooks::{FAST_WEBHOOKS, publish, topic_subscriber};
use redis::AsyncCommands;
use redis_hack_server::store::now_ms;
use redis_hack_shared::Timestamp;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::time::Duration;

/// The list with `headers` (e.g. `If-None-Match`).
async fn get(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.authed(Method::GET, "/v1/subscriptions", token);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// `(ETag, Last-Modified)` of an answer.
fn validators(r: &Response) -> (String, String) {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    (header("etag"), header("last-modified"))
}

/// The status of a conditional list with `If-None-Match` and of one with
/// `If-Modified-Since`, for the validators of an earlier answer.
async fn conditional_statuses(
    app: &TestApp,
    token: &str,
    (etag, since): &(String, String),
) -> (u16, u16) {
    let by_etag = get(app, token, &[("If-None-Match", etag)]).await.status();
    let by_date = get(app, token, &[("If-Modified-Since", since)])
        .await
        .status();
    (by_etag.as_u16(), by_date.as_u16())
}

async fn open_a_session_in_patna(app: &TestApp) {
    let r = app
        .http
        .post(format!("{}/control/open", app.sim.root_url()))
        .json(&json!({"district_id": 97, "dose1": 7, "dose2": 2}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn a_list_is_answered_304_while_nothing_changed() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let first = get(&app, &token, &[]).await;
    assert_eq!(first.status(), 200);
    let old = validators(&first);
    let again = get(&app, &token, &[("If-None-Match", &old.0)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(validators(&again), old, "a 304 repeats the validators");
    assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");
    // Another user's change is not this user's.
    let other = app.signed_up(&unique_email()).await;
    let r = app
        .authed(Method::POST, "/v1/subscriptions", &other)
        .json(&json!({"pincode": "110001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(conditional_statuses(&app, &token, &old).await, (304, 304));
}

#[tokio::test]
async fn a_304_comes_from_the_version_without_reading_the_user_document() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let (etag, _) = validators(&get(&app, &token, &[]).await);
    let uid = crate::feed::uid_of(&app, &email).await;
    // The version is a field of the document; the rest of it is made
    // unreadable, so only an answer that reads the version alone succeeds.
    let mut redis = app.redis().await;
    // (`user:{uid}` with or without the uid as a hash tag.)
    let mut doc = format!("{}user:{{{uid}}}", app.prefix);
    if !redis.exists::<_, bool>(&doc).await.unwrap() {
        doc = format!("{}user:{uid}", app.prefix);
    }
    // A subscription (a root key like the user's own) that cannot be read.
    let broken = "s00000000";
    let () = redis::cmd("JSON.SET")
        .arg(&doc)
        .arg(format!("$.{broken}"))
        .arg("\"unreadable\"")
        .query_async(&mut redis)
        .await
        .unwrap();
    let without_doc = get(&app, &token, &[]).await.status();
    let conditional = get(&app, &token, &[("If-None-Match", &etag)])
        .await
        .status();
    let _: i64 = redis::cmd("JSON.DEL")
        .arg(&doc)
        .arg(format!("$.{broken}"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        without_doc.is_server_error(),
        "a full answer needs the document: {without_doc}"
    );
    assert_eq!(conditional, 304, "a 304 does not open it");
}

#[tokio::test]
async fn an_alert_after_a_list_makes_its_old_validators_answer_200() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await; // watches Patna
    let (poller, worker, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    let old = validators(&get(&app, &token, &[]).await);
    open_a_session_in_patna(&app).await;
    assert_eq!(
        poller.poll_once(now + 70_000).await.unwrap().alerts_queued,
        1
    );
    let delivered = worker.run_once(Duration::from_millis(10)).await.unwrap();
    assert_eq!(delivered.delivered, 1);
    assert_eq!(conditional_statuses(&app, &token, &old).await, (200, 200));
    let fresh = get(&app, &token, &[("If-Modified-Since", &old.1)]).await;
    assert_ne!(validators(&fresh).0, old.0);
    let body: Value = fresh.json().await.unwrap();
    let history = &body["subscriptions"][0]["history"];
    let at = history["last_alert_at"].as_str().unwrap_or_default();
    assert!(Timestamp::parse(at).is_ok(), "an RFC 3339 time: {body}");
}

#[tokio::test]
async fn a_webhook_failure_after_a_list_makes_its_old_validators_answer_200() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let hook = Receiver::start(&[Answer::Status(500); 10]).await;
    let (_, _, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": hook.url})).await;
    let old = validators(&get(&app, &token, &[]).await);
    publish(&app, "cs101", "seat-1", 1).await;
    hook.wait_for(1, Duration::from_secs(10)).await;
    let mut failures = Value::Null;
    for _ in 0..100 {
        let body: Value = get(&app, &token, &[]).await.json().await.unwrap();
        failures = body["subscriptions"][1]["webhook"]["consecutive_failures"].clone();
        if failures.as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failures.as_u64().unwrap_or(0) > 0, "{failures}");
    assert_eq!(conditional_statuses(&app, &token, &old).await, (200, 200));
}

#[tokio::test]
async fn a_poll_alone_keeps_the_validators_and_a_match_changes_them() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let (poller, _, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    let first = get(&app, &token, &[]).await;
    let old = validators(&first);
    assert!(old.0.starts_with("W/"), "weak: poll times aside: {}", old.0);
    let polled_at = |body: &Value| body["subscriptions"][0]["history"]["last_poll_at"].clone();
    let before = polled_at(&first.json().await.unwrap());
    let round = poller.poll_once(now + 70_000).await.unwrap();
    assert_eq!(round.fetched + round.not_modified, 1, "{round:?}");
    let after = polled_at(&get(&app, &token, &[]).await.json().await.unwrap());
    assert_ne!(before, after, "the list shows the newer poll");
    assert_eq!(conditional_statuses(&app, &token, &old).await, (304, 304));
    open_a_session_in_patna(&app).await;
    assert_eq!(
        poller.poll_once(now + 140_000).await.unwrap().alerts_queued,
        1
    );
    assert_eq!(conditional_statuses(&app, &token, &old).await, (200, 200));
}
