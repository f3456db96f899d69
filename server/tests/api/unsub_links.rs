//! Unsubscribe links expire (`UNSUBSCRIBE_LINK_TTL`) and never touch a
//! subscription created again after they were issued (same target and
//! filters, so the same id).

use crate::helpers::{API_AND_WORKERS, Mailbox, TestApp, spawn_app_with_roles};
use crate::subscriptions::listed;
use crate::webhooks::{FAST_WEBHOOKS, publish, topic_subscriber};
use serde_json::{Value, json};
use std::time::Duration;

/// Subscribes a user to `topic`, publishes one opening and returns the
/// unsubscribe link of the alert email and the user's token.
async fn link_and_token(app: &TestApp, topic: &str) -> (String, String) {
    let (_, email, token) = topic_subscriber(app, topic, json!({})).await;
    publish(app, topic, "seat-1", 1).await;
    let alert = app.mail.wait_for(&email, 2).await.remove(1);
    let source = app.mail.source(&alert).await;
    let header = Mailbox::header(&source, "List-Unsubscribe").expect("List-Unsubscribe");
    let link = header
        .split(['<', '>'])
        .find(|p| p.starts_with("http"))
        .unwrap()
        .to_owned();
    (link, token)
}

async fn topics(app: &TestApp, token: &str) -> Vec<String> {
    listed(app, token)
        .await
        .iter()
        .filter_map(|s| s["target"]["topic"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_old_link_does_not_remove_a_subscription_created_again() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (link, token) = link_and_token(&app, "cs201").await;
    let id = listed(&app, &token).await[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .authed(
            reqwest::Method::DELETE,
            &format!("/v1/subscriptions/{id}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Created times are in ms: make sure the new one differs.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"topic": "cs201"}))
        .send()
        .await
        .unwrap();
    let again: Value = r.json().await.unwrap();
    assert_eq!(
        again["id"],
        id.as_str(),
        "the same target and filters get the same id"
    );
    let r = app.http.post(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("already off"));
    assert_eq!(
        topics(&app, &token).await,
        ["cs201"],
        "the new subscription stays"
    );
}

#[tokio::test]
async fn a_link_stops_working_after_its_lifetime() {
    let mut settings = FAST_WEBHOOKS.to_vec();
    settings.push(("UNSUBSCRIBE_LINK_TTL", "1s"));
    let app = spawn_app_with_roles(&settings, API_AND_WORKERS).await;
    let (link, token) = link_and_token(&app, "cs202").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = app.http.post(&link).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("expired"));
    assert_eq!(topics(&app, &token).await, ["cs202"], "nothing was removed");
}
