//! `register` cannot be used to burn CPU: the client's limit is counted
//! before any name is looked up, and free-text fields have length caps
//! (422 `field_too_long`, naming the field).

use crate::helpers::{error_of, spawn_app, spawn_app_with, unique_email};
use serde_json::json;

#[tokio::test]
async fn an_overlong_name_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let long = "Bihar".repeat(3200);
    let r = app
        .post(
            "/v1/register",
            &json!({"email": unique_email(), "state": long, "district": "Patna"}),
        )
        .await;
    let (code, message) = error_of(r, 422).await;
    assert_eq!(code, "field_too_long");
    assert_eq!(message, "state is too long: at most 100 characters");
    let r = app
        .post(
            "/v1/verify",
            &json!({"email": unique_email(), "code": "123456", "device": "d".repeat(101)}),
        )
        .await;
    assert_eq!(
        error_of(r, 422).await.1,
        "device is too long: at most 100 characters"
    );
    let token = app.signed_up(&unique_email()).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"state": "Bihar", "district": "P".repeat(101)}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r, 422).await.1,
        "district is too long: at most 100 characters"
    );
}

#[tokio::test]
async fn the_client_limit_is_counted_before_names_are_looked_up() {
    let app = spawn_app_with(&[("RATE_LIMIT_IP_PER_HOUR", "2")]).await;
    let unknown = json!({"email": unique_email(), "state": "Bihar", "district": "Gotham"});
    for _ in 0..2 {
        let r = app.post("/v1/register", &unknown).await;
        assert_eq!(error_of(r, 422).await.0, "unknown_district");
    }
    let r = app.post("/v1/register", &unknown).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_of(r, 429).await.0, "rate_limited");
}
