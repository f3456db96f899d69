//! Publisher openings: who may publish, what a bad opening gets back, and an
//! opening reaching subscribers by email exactly once, within their filters.

use crate::helpers::{API_AND_WORKERS, error_of, spawn_app_with, spawn_app_with_roles};
use crate::webhooks::{FAST_WEBHOOKS, PUBLISHER_KEY, publish, topic_subscriber};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn only_a_configured_publisher_key_may_publish() {
    let off = spawn_app_with(&[]).await;
    let opening = json!({"id": "1", "title": "Seat", "capacity": 1});
    let r = off
        .http
        .post(off.url("/v1/topics/cs101/openings"))
        .bearer_auth(PUBLISHER_KEY)
        .json(&opening)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r, 403).await.0, "publishing_disabled");

    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    let post = |key: Option<&str>| {
        let mut r = app
            .http
            .post(app.url("/v1/topics/cs101/openings"))
            .json(&opening);
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    assert_eq!(
        error_of(post(None).await.unwrap(), 401).await.0,
        "missing_publisher_key"
    );
    let wrong = post(Some("test-publisher-key-0002")).await.unwrap();
    assert_eq!(error_of(wrong, 401).await.0, "invalid_publisher_key");
    assert_eq!(post(Some(PUBLISHER_KEY)).await.unwrap().status(), 202);
}

#[tokio::test]
async fn a_bad_opening_or_topic_is_refused_with_the_reason() {
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    for (topic, body, needle) in [
        (
            "cs101",
            json!({"id": "1", "title": "Seat", "capacity": 0}),
            "capacity",
        ),
        ("cs101", json!({"id": "1", "capacity": 1}), "title"),
        (
            "cs101",
            json!({"id": "1", "title": "x", "capacity": 1, "link": "ftp://x"}),
            "link",
        ),
        (
            "CS 101",
            json!({"id": "1", "title": "x", "capacity": 1}),
            "not a valid topic",
        ),
    ] {
        let r = app
            .http
            .post(app.url(&format!("/v1/topics/{topic}/openings")))
            .bearer_auth(PUBLISHER_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (_, message) = error_of(r, 400).await;
        assert!(message.contains(needle), "{body}: {message}");
    }
}

#[tokio::test]
async fn an_opening_reaches_matching_subscribers_once_by_email() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (_, any, _) = topic_subscriber(&app, "cs101", json!({})).await;
    let token = {
        let (_, _, token) = topic_subscriber(&app, "cs102", json!({})).await;
        token
    };
    // A second user wants at least 3 places.
    let (_, picky, picky_token) = topic_subscriber(&app, "cs103", json!({})).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &picky_token)
        .json(&json!({"topic": "cs101", "filters": {"min_capacity": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let _ = token;

    let first = publish(&app, "cs101", "seat-7", 2).await;
    assert_eq!(first, json!({"queued": 1, "duplicate": false}));
    let again = publish(&app, "cs101", "seat-7", 2).await;
    assert_eq!(again, json!({"queued": 0, "duplicate": true}));
    let mail = app.mail.wait_for(&any, 2).await;
    let alert = &mail[1];
    assert_eq!(alert["subject"], "Opening on cs101: Seat seat-7");
    let text = alert["text"].as_str().unwrap();
    for needle in [
        "Seat seat-7 (2 places)",
        "CS101, Monday 9:00",
        "https://uni.example/enrol",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert_eq!(publish(&app, "cs101", "seat-8", 3).await["queued"], 2);
    app.mail.wait_for(&picky, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.mail.messages_to(&any).await.len(),
        3,
        "code, seat-7, seat-8: no duplicate"
    );
    assert_eq!(
        app.mail.messages_to(&picky).await.len(),
        2,
        "code and seat-8 only"
    );
}
