//! `/v1/subscriptions`: create, list with ETag / 304, delete, duplicates,
//! tokens, and the per-district index the poller fans out from.

use crate::check_helpers::{Raw, members};
use crate::helpers::{TestApp, error_of, spawn_app, unique_email};
use redis::AsyncCommands;
use reqwest::Method;
use serde_json::{Value, json};

async fn subscribe(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.authed(Method::POST, "/v1/subscriptions", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// `GET /v1/subscriptions` as `token`'s user: the whole body (the list and
/// the account's state, e.g. `email_suspended`); it must answer 200.
pub(crate) async fn list(app: &TestApp, token: &str) -> Value {
    let r = app
        .authed(Method::GET, "/v1/subscriptions", token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The subscriptions of `list`, in its order.
pub(crate) async fn listed(app: &TestApp, token: &str) -> Vec<Value> {
    let body = list(app, token).await;
    body["subscriptions"].as_array().expect("a list").clone()
}

#[tokio::test]
async fn subscribing_by_id_names_or_pincode_shows_up_in_the_list() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let r = subscribe(
        &app,
        &token,
        json!({"district_id": 294, "filters": {"age": 45, "dose": 2}}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["target"]["district_name"], "BBMP");
    let r = subscribe(&app, &token, json!({"state": "west bengal", "district": "KOLKATA", "filters": {"vaccine": "covaxin", "fee": "free", "min_capacity": 10}})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        subscribe(&app, &token, json!({"pincode": "110001"}))
            .await
            .status(),
        201
    );
    let body = list(&app, &token).await;
    let subs = body["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 4, "Patna from registration plus three: {body}");
    assert_eq!(subs[0]["target"]["district_name"], "Patna", "oldest first");
    assert_eq!(subs[3]["target"]["pincode"], "110001", "newest last");
    let kolkata = subs
        .iter()
        .find(|s| s["target"]["district_name"] == "Kolkata")
        .unwrap();
    assert_eq!(
        kolkata["filters"],
        json!({"vaccine": "COVAXIN", "fee": "free", "min_capacity": 10})
    );
}

#[tokio::test]
async fn a_duplicate_subscription_is_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let (code, message) = error_of(
        subscribe(&app, &token, json!({"state": "Bihar", "district": "Patna"})).await,
        409,
    )
    .await;
    assert_eq!(code, "duplicate_subscription");
    assert!(
        message.contains("already watch") && message.contains("Patna"),
        "{message}"
    );
    // The same place with other filters is a different subscription.
    assert_eq!(
        subscribe(
            &app,
            &token,
            json!({"state": "Bihar", "district": "Patna", "filters": {"age": 18}})
        )
        .await
        .status(),
        201
    );
}

#[tokio::test]
async fn invalid_filters_and_targets_are_400s_naming_the_problem() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let (_, m) = error_of(
        subscribe(
            &app,
            &token,
            json!({"pincode": "800001", "filters": {"age": 30}}),
        )
        .await,
        400,
    )
    .await;
    assert!(m.contains("age must be 18 or 45"), "{m}");
    let (_, m) = error_of(
        subscribe(&app, &token, json!({"pincode": "080001"})).await,
        400,
    )
    .await;
    assert!(m.contains("pincode"), "{m}");
    let (c, _) = error_of(
        subscribe(
            &app,
            &token,
            json!({"pincode": "800001", "district_id": 97}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(c, "invalid_target");
    let (c, _) = error_of(subscribe(&app, &token, json!({"filters": {}})).await, 400).await;
    assert_eq!(c, "invalid_target");
    let r = subscribe(&app, &token, json!({"district_id": 999999})).await;
    let (c, _) = error_of(r, 422).await;
    assert_eq!(c, "unknown_district");
}

#[tokio::test]
async fn listing_answers_304_until_the_subscriptions_change() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let r = app
        .authed(Method::GET, "/v1/subscriptions", &token)
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.headers().contains_key("last-modified"));
    let again = app
        .authed(Method::GET, "/v1/subscriptions", &token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    subscribe(&app, &token, json!({"pincode": "560001"})).await;
    let changed = app
        .authed(Method::GET, "/v1/subscriptions", &token)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn unsubscribing_removes_it_from_the_list_and_the_district_index() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let body = list(&app, &token).await;
    let sub = &body["subscriptions"][0];
    let id = sub["id"].as_str().unwrap();
    let district = sub["target"]["district_id"].as_u64().unwrap();
    let mut redis = app.redis().await;
    let (raw, target) = (Raw::of(&app.prefix), format!("d:{district}"));
    assert_eq!(
        members(&mut redis, &raw, &target).await.len(),
        1,
        "verify indexed the registered district"
    );
    let r = app
        .authed(Method::DELETE, &format!("/v1/subscriptions/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        list(&app, &token).await["subscriptions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(members(&mut redis, &raw, &target).await.is_empty());
    let targets: Vec<String> = redis
        .zrange(format!("{}targets", app.prefix), 0, -1)
        .await
        .unwrap();
    assert!(
        targets.is_empty(),
        "no subscriber left, so nothing to poll: {targets:?}"
    );
    let (c, _) = error_of(
        app.authed(Method::DELETE, &format!("/v1/subscriptions/{id}"), &token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(c, "not_found");
}

#[tokio::test]
async fn another_users_subscription_is_not_found() {
    let app = spawn_app().await;
    let alice = app.signed_up(&unique_email()).await;
    let bob = app.signed_up(&unique_email()).await;
    subscribe(&app, &bob, json!({"pincode": "400001"})).await;
    let bobs = list(&app, &bob).await;
    let bob_pin = bobs["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"]["kind"] == "pincode")
        .unwrap();
    let path = format!("/v1/subscriptions/{}", bob_pin["id"].as_str().unwrap());
    error_of(
        app.authed(Method::DELETE, &path, &alice)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_eq!(
        list(&app, &bob).await["subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "bob keeps it"
    );
}

#[tokio::test]
async fn missing_or_unknown_tokens_are_401s() {
    let app = spawn_app().await;
    let (c, _) = error_of(app.get("/v1/subscriptions").await, 401).await;
    assert_eq!(c, "missing_token");
    let r = app
        .authed(Method::GET, "/v1/subscriptions", "rh_forged")
        .send()
        .await
        .unwrap();
    let (c, _) = error_of(r, 401).await;
    assert_eq!(c, "invalid_token");
}

#[tokio::test]
async fn logging_out_revokes_only_that_token() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let r = app
        .authed(Method::DELETE, "/v1/session", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .authed(Method::GET, "/v1/subscriptions", &token)
        .send()
        .await
        .unwrap();
    error_of(r, 401).await;
}
