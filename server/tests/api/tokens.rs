//! Bearer tokens lapse after `TOKEN_TTL` without use, and each use starts
//! that time again.

use crate::helpers::{TestApp, error_of, spawn_app_with, unique_email};
use reqwest::Method;
use std::time::Duration;

async fn list(app: &TestApp, token: &str) -> reqwest::Response {
    app.authed(Method::GET, "/v1/subscriptions", token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_token_in_use_keeps_working_and_an_idle_one_lapses_after_token_ttl() {
    let app = spawn_app_with(&[("TOKEN_TTL", "2s")]).await;
    let used = app.signed_up(&unique_email()).await;
    let idle = app.signed_up(&unique_email()).await;
    // Used every second for four seconds: twice the TTL, never idle for one.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let r = list(&app, &used).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let (code, message) = error_of(list(&app, &idle).await, 401).await;
    assert_eq!(code, "invalid_token");
    assert!(message.contains("expired unused"), "{message}");
    assert_eq!(list(&app, &used).await.status(), 200);
}
