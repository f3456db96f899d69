//! `POST /v1/register`: the emailed code, no enumeration, name resolution,
//! rate limits, and bad bodies.

use crate::helpers::{code_in, error_of, spawn_app, spawn_app_with, unique_email};
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn register_emails_a_six_digit_code_in_text_and_html() {
    let app = spawn_app().await;
    let email = unique_email();
    let r = app.register(&email).await;
    assert_eq!(r.status(), 202);
    let msgs = app.mail.wait_for(&email, 1).await;
    let msg = &msgs[0];
    let code = code_in(msg);
    assert!(
        msg["subject"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("confirm your email")
    );
    assert!(
        msg["html"].as_str().unwrap().contains(&code),
        "the HTML part carries the code too"
    );
}

#[tokio::test]
async fn register_answers_the_same_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    let known = unique_email();
    app.signed_up(&known).await;
    // Skip the known address's one-minute wait rather than sleeping through it.
    let mut redis = app.redis().await;
    let _: u32 = redis
        .del(format!(
            "{}rl:email-ip-min:{{{known}}}:127.0.0.1",
            app.prefix
        ))
        .await
        .unwrap();
    let a = app
        .post("/v1/register", &json!({"email": unique_email()}))
        .await;
    let b = app.post("/v1/register", &json!({"email": known})).await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (202, 202));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_code_is_stored_hashed_and_expires_within_ten_minutes() {
    let app = spawn_app().await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    let mut redis = app.redis().await;
    let key = format!("{}otp:{{{email}}}", app.prefix);
    let stored: Vec<String> = redis.hvals(&key).await.unwrap();
    assert!(!stored.is_empty(), "a code record exists");
    assert!(
        stored.iter().all(|v| !v.contains(&code)),
        "the code itself is never stored"
    );
    let ttl: i64 = redis.ttl(&key).await.unwrap();
    assert!((1..=600).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn an_invalid_email_is_a_400_naming_it() {
    let app = spawn_app().await;
    let (code, message) = error_of(
        app.post("/v1/register", &json!({"email": "not-an-email"}))
            .await,
        400,
    )
    .await;
    assert_eq!(code, "invalid_body");
    assert!(message.contains("not-an-email"), "{message}");
}

#[tokio::test]
async fn an_unknown_state_lists_the_closest_matches() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/v1/register",
            &json!({"email": unique_email(), "state": "Bihr", "district": "Patna"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_state");
    assert_eq!(body["error"]["suggestions"][0], "Bihar");
}

#[tokio::test]
async fn an_unknown_district_lists_the_closest_matches_and_sends_nothing() {
    let app = spawn_app().await;
    let email = unique_email();
    let r = app
        .post(
            "/v1/register",
            &json!({"email": email, "state": " bihar ", "district": "Patan"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_district");
    assert!(
        body["error"]["suggestions"]
            .as_array()
            .unwrap()
            .contains(&json!("Patna"))
    );
    assert!(app.mail.messages_to(&email).await.is_empty());
}

#[tokio::test]
async fn a_second_code_within_a_minute_is_refused_with_retry_after() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email).await.status(), 202);
    let r = app.register(&email).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    let (code, _) = error_of(r, 429).await;
    assert_eq!(code, "rate_limited");
    assert_eq!(
        app.mail.wait_for(&email, 1).await.len(),
        1,
        "only one code was sent"
    );
}

#[tokio::test]
async fn one_client_ip_is_limited_across_addresses() {
    let app = spawn_app_with(&[("RATE_LIMIT_IP_PER_HOUR", "3")]).await;
    for _ in 0..3 {
        assert_eq!(app.register(&unique_email()).await.status(), 202);
    }
    let r = app.register(&unique_email()).await;
    assert!(r.headers().contains_key("retry-after"));
    error_of(r, 429).await;
}

#[tokio::test]
async fn malformed_json_and_unknown_fields_are_400s_that_say_what_is_wrong() {
    let app = spawn_app().await;
    let send = |body: &'static str| {
        app.http
            .post(app.url("/v1/register"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (code, message) = error_of(send("{\"email\": ").await.unwrap(), 400).await;
    assert_eq!(code, "malformed_json");
    assert!(message.contains("JSON"), "{message}");
    let (code, message) = error_of(
        send(r#"{"email":"a@b.in","distrct":"Patna"}"#)
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(code, "invalid_body");
    assert!(message.contains("distrct"), "{message}");
}

#[tokio::test]
async fn oversized_and_non_json_bodies_are_refused() {
    let app = spawn_app().await;
    let huge = format!(r#"{{"email":"{}@example.com"}}"#, "a".repeat(64 * 1024));
    let r = app
        .http
        .post(app.url("/v1/register"))
        .header("content-type", "application/json")
        .body(huge)
        .send();
    let (code, _) = error_of(r.await.unwrap(), 413).await;
    assert_eq!(code, "body_too_large");
    let r = app
        .http
        .post(app.url("/v1/register"))
        .body("email=a@b.in")
        .send()
        .await
        .unwrap();
    error_of(r, 415).await;
}

#[tokio::test]
async fn a_sixth_code_for_one_address_within_the_hour_is_refused_but_others_are_not() {
    let app = spawn_app().await;
    let email = unique_email();
    let mut redis = app.redis().await;
    let minute = format!("{}rl:email-ip-min:{{{email}}}:127.0.0.1", app.prefix);
    for n in 1..=5 {
        assert_eq!(app.register(&email).await.status(), 202, "code {n}");
        // Skip the one-minute wait between codes rather than sleeping through it.
        let _: u32 = redis.del(&minute).await.unwrap();
    }
    let r = app.register(&email).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (61..=3600).contains(&retry),
        "the hour's window, not the minute's: retry-after {retry}"
    );
    let (code, _) = error_of(r, 429).await;
    assert_eq!(code, "rate_limited");
    assert_eq!(
        app.mail.wait_for(&email, 5).await.len(),
        5,
        "five codes sent"
    );
    let other = unique_email();
    assert_eq!(app.register(&other).await.status(), 202);
    assert_eq!(app.mail.wait_for(&other, 1).await.len(), 1);
}
