//! The per-account subscription limit: it counts the subscriptions at the
//! root of the user document (layout 3), not the user's own fields beside
//! them (`e`, `c`, `v`, and `es` while alert emails are suspended).

use crate::feed::uid_of;
use crate::helpers::{env_or_explain, error_of, spawn_app, unique_email};
use crate::subscriptions::listed;
use redis_hack_server::store::{MAX_SUBSCRIPTIONS, Store};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_account_holds_at_most_the_limit_whatever_else_its_document_holds() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await; // watches Patna
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let uid = uid_of(&app, &email).await;
    assert!(
        store
            .suspend_email(&uid, "550 no such user", 1)
            .await
            .unwrap()
    );
    let subscribe = |capacity: u32| {
        app.authed(Method::POST, "/v1/subscriptions", &token)
            .json(&json!({"district_id": 97, "filters": {"min_capacity": capacity}}))
            .send()
    };
    for capacity in 1..MAX_SUBSCRIPTIONS {
        assert_eq!(
            subscribe(capacity).await.unwrap().status(),
            201,
            "{capacity}"
        );
    }
    let (code, message) = error_of(subscribe(MAX_SUBSCRIPTIONS).await.unwrap(), 400).await;
    assert_eq!(code, "too_many_subscriptions");
    assert!(
        message.contains(&format!("at most {MAX_SUBSCRIPTIONS}")),
        "{message}"
    );
    let subs = listed(&app, &token).await;
    assert_eq!(subs.len(), MAX_SUBSCRIPTIONS as usize);
    let capacities: Vec<u64> = subs[1..]
        .iter()
        .map(|s| s["filters"]["min_capacity"].as_u64().unwrap())
        .collect();
    let made: Vec<u64> = (1..MAX_SUBSCRIPTIONS as u64).collect();
    assert_eq!(capacities, made, "listed in the order they were made");
    // One removed, one more fits.
    let first = subs[0]["id"].as_str().unwrap();
    let r = app
        .authed(
            Method::DELETE,
            &format!("/v1/subscriptions/{first}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(subscribe(MAX_SUBSCRIPTIONS).await.unwrap().status(), 201);
}
