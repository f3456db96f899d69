//! `POST /v1/verify`: tokens for the right code, the limits on wrong ones,
//! expiry, single use, and re-registration never resetting an account.

use crate::helpers::{error_of, spawn_app, unique_email};
use redis::AsyncCommands;
use serde_json::{Value, json};

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn the_right_code_gives_a_token_and_watches_the_registered_district() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    let r = app
        .post(
            "/v1/verify",
            &json!({"email": email.to_uppercase(), "code": code, "device": "laptop"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 24, "a token of at least 128 bits");
    assert_eq!(body["email"], email);
    let subs = body["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["target"]["district_name"], "Patna");
    assert_eq!(subs[0]["target"]["state_name"], "Bihar");
}

#[tokio::test]
async fn a_wrong_code_says_how_many_tries_are_left() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    let (c, message) = error_of(
        app.post("/v1/verify", &json!({"email": email, "code": wrong(&code)}))
            .await,
        401,
    )
    .await;
    assert_eq!(c, "wrong_code");
    assert!(message.contains("5 tries left"), "{message}");
    assert_eq!(
        app.post("/v1/verify", &json!({"email": email, "code": code}))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn verify_rejects_the_right_code_after_the_sixth_wrong_one() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    for _ in 0..5 {
        let (c, _) = error_of(
            app.post("/v1/verify", &json!({"email": email, "code": wrong(&code)}))
                .await,
            401,
        )
        .await;
        assert_eq!(c, "wrong_code");
    }
    let (c, _) = error_of(
        app.post("/v1/verify", &json!({"email": email, "code": wrong(&code)}))
            .await,
        401,
    )
    .await;
    assert_eq!(c, "code_invalidated");
    let (c, _) = error_of(
        app.post("/v1/verify", &json!({"email": email, "code": code}))
            .await,
        401,
    )
    .await;
    assert_eq!(c, "invalid_code");
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    // Fast-forward the code's ten-minute expiry to now.
    let mut redis = app.redis().await;
    let _: bool = redis
        .pexpire(format!("{}otp:{{{email}}}", app.prefix), 1)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (c, message) = error_of(
        app.post("/v1/verify", &json!({"email": email, "code": code}))
            .await,
        401,
    )
    .await;
    assert_eq!(c, "invalid_code");
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn a_code_works_only_once() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    assert_eq!(
        app.post("/v1/verify", &json!({"email": email, "code": code}))
            .await
            .status(),
        200
    );
    error_of(
        app.post("/v1/verify", &json!({"email": email, "code": code}))
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn a_malformed_code_is_a_400() {
    let app = spawn_app().await;
    let (c, message) = error_of(
        app.post(
            "/v1/verify",
            &json!({"email": unique_email(), "code": "12ab"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(c, "invalid_body");
    assert!(message.contains("6 digits"), "{message}");
}

#[tokio::test]
async fn registering_again_keeps_the_account_and_gives_each_device_its_own_token() {
    let app = spawn_app().await;
    let email = unique_email();
    let first = app.signed_up(&email).await;
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &first)
        .json(&json!({"pincode": "800001", "filters": {"age": 18}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A second device signs in a minute later (the per-minute limit is per app prefix, so use Redis to skip the wait).
    let mut redis = app.redis().await;
    let _: u32 = redis
        .del(format!(
            "{}rl:email-ip-min:{{{email}}}:127.0.0.1",
            app.prefix
        ))
        .await
        .unwrap();
    assert_eq!(app.register(&email).await.status(), 202);
    let msgs = app.mail.wait_for(&email, 2).await;
    let code = crate::helpers::code_in(msgs.last().unwrap());
    let r = app
        .post(
            "/v1/verify",
            &json!({"email": email, "code": code, "device": "phone"}),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    let second = body["token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(
        body["subscriptions"].as_array().unwrap().len(),
        2,
        "nothing was reset"
    );
    for token in [&first, &second] {
        let r = app
            .authed(reqwest::Method::GET, "/v1/subscriptions", token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "both devices stay signed in");
    }
}

#[tokio::test]
async fn two_first_verifies_of_one_address_at_once_make_one_user() {
    let app = spawn_app().await;
    let store = crate::feed::store_of(&app.prefix).await;
    let email = redis_hack_shared::EmailAddress::parse(&unique_email()).unwrap();
    let (got_a, got_b) = tokio::join!(store.ensure_user(&email), store.ensure_user(&email));
    let (got_a, got_b) = (got_a.unwrap(), got_b.unwrap());
    assert_eq!(got_a, got_b, "both verifies name the same user");
    assert_eq!(got_a, crate::uids::probe_uid(&email, 0), "its first uid");
    assert_eq!(store.user(&got_a).await.unwrap().unwrap().email, email);
    assert_eq!(
        store.uid_by_email(&email).await.unwrap(),
        Some(got_a.clone())
    );
    // A later verify finds the user and makes no other.
    assert_eq!(store.ensure_user(&email).await.unwrap(), got_a);
    let second = crate::uids::probe_uid(&email, 1);
    assert!(store.user(&second).await.unwrap().is_none());
}
