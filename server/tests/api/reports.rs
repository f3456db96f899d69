//! What users and operators can read about polling: the status report,
//! `slots` (over HTTP and through the CLI) and each subscription's history.

use crate::helpers::unique_email;
use crate::poller::{MIN, rig};
use redis_hack_shared::Timestamp;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_status_report_shows_budget_use_304s_and_each_districts_interval() {
    let rig = rig().await;
    rig.patna_user(json!({})).await;
    rig.fake.set_sessions(97, &[("s-1", 5, 0)]);
    // Both polls inside the budget window the status endpoint reads now.
    let window = 300_000;
    let mut now = redis_hack_server::store::now_ms();
    if now % window > window - 5_000 {
        tokio::time::sleep(Duration::from_millis(window - now % window + 10)).await;
        now = redis_hack_server::store::now_ms();
    }
    let start = now - now % window;
    rig.poller.poll_once(start + 1_000).await.unwrap();
    rig.poller.poll_once(start + 150_000).await.unwrap();
    let status: serde_json::Value = rig.app.get("/v1/status").await.json().await.unwrap();
    assert_eq!(status["budget"]["calls"], 100);
    assert_eq!(status["budget"]["in_use"], 2, "{status}");
    assert_eq!(status["window"]["calls"], 2, "{status}");
    assert_eq!(status["window"]["not_modified"], 1, "{status}");
    assert_eq!(status["window"]["alerts"], 1, "{status}");
    let patna = &status["targets"][0];
    assert_eq!(patna["target"], "d:97");
    assert_eq!(patna["last_status"], "304");
    assert_eq!(
        patna["interval_secs"], 60,
        "one district gets the minimum interval: {status}"
    );
    assert_eq!(status["queue"]["queued"], 1, "the alert waits for a worker");
}

#[tokio::test]
async fn slots_show_what_the_last_poll_found_open_with_304s_and_no_upstream_call() {
    let rig = rig().await;
    let token = rig.app.signed_up(&unique_email()).await;
    let get = |path: &'static str| rig.app.authed(Method::GET, path, &token);
    let before: serde_json::Value = get("/v1/slots").send().await.unwrap().json().await.unwrap();
    assert_eq!(before["districts"][0]["district_name"], "Patna");
    assert!(
        before["districts"][0]["checked_at"].is_null(),
        "not polled yet: {before}"
    );
    rig.fake
        .set_sessions(97, &[("s-open", 5, 0), ("s-full", 0, 0)]);
    rig.poller.poll_once(1_900_000_000_000).await.unwrap();
    let calls = rig.fake.calls();
    let r = get("/v1/slots?district_id=97").send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    let sessions = body["districts"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "only sessions with open slots: {body}");
    assert_eq!(sessions[0]["session_id"], "s-open");
    let again = get("/v1/slots?district_id=97")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(rig.fake.calls(), calls, "slots never call the upstream");
    rig.poller
        .poll_once(1_900_000_000_000 + 2 * MIN)
        .await
        .unwrap();
    let later: serde_json::Value = get("/v1/slots").send().await.unwrap().json().await.unwrap();
    assert_eq!(
        later["districts"][0]["checked_at"],
        rfc3339(1_900_000_000_000u64 + 2 * MIN),
        "a 304 still counts as a check, and times are RFC 3339"
    );
    assert_eq!(
        later["districts"][0]["sessions"],
        body["districts"][0]["sessions"]
    );
    let (code, _) =
        crate::helpers::error_of(get("/v1/slots?district_id=725").send().await.unwrap(), 404).await;
    assert_eq!(code, "not_found");
    let (code, _) =
        crate::helpers::error_of(get("/v1/slots?district_id=x").send().await.unwrap(), 400).await;
    assert_eq!(code, "invalid_district_id");
}

#[tokio::test]
async fn the_cli_shows_open_slots_and_then_the_304_path() {
    let rig = rig().await;
    let cli = crate::cli::Cli::new(&rig.app.base_url);
    let email = unique_email();
    cli.json(&["register", "--email", &email, "--district-id", "97"])
        .await;
    let code = rig.app.mail.code_for(&email).await;
    cli.json(&["verify", "--email", &email, "--code", &code])
        .await;
    rig.fake.set_sessions(97, &[("s-open", 4, 1)]);
    rig.poller.poll_once(1_900_000_000_000).await.unwrap();
    let (slots, stderr) = cli.json(&["slots"]).await;
    assert_eq!(
        slots["districts"][0]["sessions"][0]["session_id"], "s-open",
        "{slots}"
    );
    assert!(!stderr.contains("unchanged"));
    let (_, stderr) = cli.json(&["slots"]).await;
    assert!(stderr.contains("unchanged"), "{stderr}");
    let table = cli.run(&["slots"]).await;
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("Centre 97") && table.contains("dose 1: 4"),
        "{table}"
    );
}

#[tokio::test]
async fn the_list_tells_when_a_subscription_was_polled_matched_and_alerted() {
    let rig = rig().await;
    let token = rig.app.signed_up(&unique_email()).await;
    let history = || async {
        let list = crate::subscriptions::list(&rig.app, &token).await;
        list["subscriptions"][0]["history"].clone()
    };
    assert!(history().await.is_null(), "nothing happened yet");
    rig.fake.set_sessions(97, &[("s-1", 5, 0)]);
    let t0 = 1_900_000_000_000;
    rig.poller.poll_once(t0).await.unwrap();
    let h = history().await;
    assert_eq!(
        (&h["last_poll_at"], &h["last_match_at"]),
        (&rfc3339(t0), &rfc3339(t0)),
        "{h}"
    );
    assert!(
        h["last_alert_at"].is_null(),
        "matched, but not yet sent: {h}"
    );
    rig.deliver().await;
    let at = history().await["last_alert_at"].clone();
    assert!(
        at.as_str().is_some_and(|t| Timestamp::parse(t).is_ok()),
        "an RFC 3339 time: {at}"
    );
}

/// `ms` as the API writes times: RFC 3339, as JSON.
fn rfc3339(ms: u64) -> serde_json::Value {
    serde_json::Value::String(Timestamp::from_ms(ms).to_string())
}
