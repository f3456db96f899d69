//! Nobody can lock an address out from one IP: wrong guesses from a stranger
//! spend only the stranger's share of a code, a stranger's registrations
//! leave the owner's budget, and verify has a per-IP limit. Clients are told
//! apart by `X-Forwarded-For`, which counts because 127.0.0.1 (the test's
//! peer) is a trusted proxy here.

use crate::helpers::{TestApp, error_of, spawn_app_with, unique_email};
use serde_json::json;

const BEHIND_PROXY: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1/32");
const OWNER: &str = "198.51.100.7";
const STRANGER: &str = "203.0.113.66";

async fn register_from(app: &TestApp, email: &str, ip: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/register"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "state": "Bihar", "district": "Patna"}))
        .send()
        .await
        .unwrap()
}

async fn verify_from(app: &TestApp, email: &str, code: &str, ip: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/verify"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "code": code}))
        .send()
        .await
        .unwrap()
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_strangers_wrong_guesses_do_not_kill_the_owners_code() {
    let app = spawn_app_with(&[BEHIND_PROXY]).await;
    let email = unique_email();
    assert_eq!(register_from(&app, &email, OWNER).await.status(), 202);
    let code = app.mail.code_for(&email).await;
    for _ in 0..5 {
        let r = verify_from(&app, &email, &wrong(&code), STRANGER).await;
        assert_eq!(error_of(r, 401).await.0, "wrong_code");
    }
    let r = verify_from(&app, &email, &wrong(&code), STRANGER).await;
    assert_eq!(error_of(r, 401).await.0, "code_invalidated");
    let r = verify_from(&app, &email, &code, STRANGER).await;
    assert_eq!(
        error_of(r, 401).await.0,
        "invalid_code",
        "the stranger's share is spent, even for the right code"
    );
    let r = verify_from(&app, &email, &code, OWNER).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn guesses_from_three_clients_together_invalidate_the_code_for_everyone() {
    let app = spawn_app_with(&[BEHIND_PROXY]).await;
    let email = unique_email();
    assert_eq!(register_from(&app, &email, OWNER).await.status(), 202);
    let code = app.mail.code_for(&email).await;
    // Three strangers, six wrong guesses each: 18 in all.
    for client in 1..=3 {
        let ip = format!("203.0.113.{client}");
        for _ in 0..5 {
            let r = verify_from(&app, &email, &wrong(&code), &ip).await;
            assert_eq!(error_of(r, 401).await.0, "wrong_code");
        }
        let r = verify_from(&app, &email, &wrong(&code), &ip).await;
        assert_eq!(error_of(r, 401).await.0, "code_invalidated");
    }
    let r = verify_from(&app, &email, &code, OWNER).await;
    assert_eq!(error_of(r, 401).await.0, "invalid_code");
}

#[tokio::test]
async fn verify_is_limited_per_ip_with_retry_after() {
    let app = spawn_app_with(&[BEHIND_PROXY, ("VERIFY_LIMIT_IP_PER_HOUR", "3")]).await;
    for _ in 0..3 {
        let r = verify_from(&app, &unique_email(), "123456", STRANGER).await;
        assert_eq!(error_of(r, 401).await.0, "invalid_code");
    }
    let r = verify_from(&app, &unique_email(), "123456", STRANGER).await;
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 3600, "{wait}");
    assert_eq!(error_of(r, 429).await.0, "rate_limited");
    let r = verify_from(&app, &unique_email(), "123456", OWNER).await;
    assert_eq!(
        error_of(r, 401).await.0,
        "invalid_code",
        "other clients go on"
    );
}

#[tokio::test]
async fn a_stranger_registering_an_address_does_not_use_up_the_owners_budget() {
    let app = spawn_app_with(&[BEHIND_PROXY]).await;
    let email = unique_email();
    assert_eq!(register_from(&app, &email, STRANGER).await.status(), 202);
    let r = register_from(&app, &email, STRANGER).await;
    assert_eq!(
        error_of(r, 429).await.0,
        "rate_limited",
        "1 a minute per client"
    );
    assert_eq!(register_from(&app, &email, OWNER).await.status(), 202);
    let code = app.mail.wait_for(&email, 2).await;
    let code = crate::helpers::code_in(code.last().unwrap());
    let r = verify_from(&app, &email, &code, OWNER).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
