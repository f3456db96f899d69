//! `redis-hack status` through the real binary: signed out, signed in with a
//! token the server accepts, after `logout`, with a token revoked elsewhere,
//! against a server that is not ready (its SMTP server is down)
//! and one that is not running (exit 1, naming the URL, quickly); and
//! `--json` giving exactly one JSON document on stdout for every command,
//! errors included.

use crate::cli::{Cli, failure};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `status` in text, which must succeed.
async fn status_text(cli: &Cli) -> String {
    let out = cli.run(&["status"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// What `status --json` says about readiness must be what the server says.
async fn assert_readiness_as_the_server_reports_it(app: &TestApp, report: &Value) {
    let r = app.get("/readyz").await;
    let readiness = &report["readiness"];
    if r.status() == 404 {
        assert_eq!(readiness["status"], "unknown", "{report}");
        return;
    }
    let body: Value = r.json().await.unwrap();
    assert_eq!(readiness["status"], body["status"], "{report}");
    assert_eq!(readiness["checks"], body["checks"], "{report}");
}

#[tokio::test]
async fn status_when_nobody_is_signed_in_names_the_server_and_how_to_sign_in() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let text = status_text(&cli).await;
    assert!(
        text.contains(&app.base_url) && text.contains("reachable"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "nobody; sign in with: redis-hack --server {} register --email EMAIL && ",
            app.base_url
        )),
        "{text}"
    );
    let (report, _) = cli.json(&["status"]).await;
    assert_eq!(report["server"], app.base_url.as_str());
    assert_eq!(report["reachable"], true);
    assert_eq!(report["session"]["token"], "none");
    assert_eq!(report["session"]["email"], Value::Null);
    assert_readiness_as_the_server_reports_it(&app, &report).await;
}

#[tokio::test]
async fn status_when_signed_in_names_the_address_and_says_the_token_is_accepted() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = cli.sign_in(&app).await;
    let text = status_text(&cli).await;
    assert!(
        text.contains(&email) && text.contains("token accepted"),
        "{text}"
    );
    assert!(!text.contains("rh_"), "the token is never printed: {text}");
    let (report, _) = cli.json(&["status"]).await;
    assert_eq!(report["session"]["email"], email.as_str());
    assert_eq!(report["session"]["token"], "valid");
    assert_readiness_as_the_server_reports_it(&app, &report).await;
}

#[tokio::test]
async fn status_after_logout_says_nobody_is_signed_in() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = cli.sign_in(&app).await;
    cli.json(&["logout"]).await;
    let text = status_text(&cli).await;
    assert!(!text.contains(&email), "{text}");
    let (report, _) = cli.json(&["status"]).await;
    assert_eq!(report["session"]["token"], "none");
}

#[tokio::test]
async fn status_with_a_revoked_token_says_to_register_and_verify_again() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = cli.sign_in(&app).await;
    let saved = std::fs::read(cli.config_dir.join("credentials.json")).unwrap();
    let token = serde_json::from_slice::<Value>(&saved).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Revoked on the server, as another session or an expiry would, but still saved here.
    let revoked = app
        .http
        .delete(app.url("/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());

    let text = status_text(&cli).await;
    assert!(
        text.contains(&email) && text.contains("no longer accepts the token"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sign in again with: redis-hack --server {} register --email {email} && ",
            app.base_url
        )),
        "{text}"
    );
    let (report, _) = cli.json(&["status"]).await;
    assert_eq!(report["reachable"], true);
    assert_eq!(report["session"]["token"], "rejected");
}

#[tokio::test]
async fn status_of_a_server_that_is_not_running_exits_1_naming_the_url() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let cli = Cli::new(&url);

    let started = Instant::now();
    let out = cli.run(&["status"]).await;
    assert!(started.elapsed() < Duration::from_secs(5), "status hung");
    let stderr = failure(&out, 1);
    assert!(
        stderr.starts_with(&format!("error: cannot reach the server at {url}: ")),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not reachable"),
        "{stderr}"
    );

    let out = cli.run(&["status", "--json"]).await;
    let stderr = failure(&out, 1);
    assert!(stderr.contains(&url), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(report["reachable"], false);
    assert_eq!(report["server"], url.as_str());
    assert_eq!(report["error"]["code"], "unreachable", "{report}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains(&url), "{report}");
    assert_eq!(
        stderr.trim_end(),
        format!("error: {message}"),
        "one error, said once"
    );
}

#[tokio::test]
async fn status_of_a_server_that_is_not_ready_names_the_failing_check_and_exits_0() {
    // The real server, with nothing listening where its SMTP server should be.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(&[("SMTP_URL", &smtp)]).await;
    let cli = Cli::new(&app.base_url);
    let text = status_text(&cli).await;
    assert!(
        text.contains(&format!("{} (reachable)", app.base_url)),
        "{text}"
    );
    assert!(text.contains("no: redis ok, smtp failing ("), "{text}");
    let (report, _) = cli.json(&["status"]).await;
    assert_eq!(report["readiness"]["status"], "not_ready");
    let smtp = &report["readiness"]["checks"][1];
    assert_eq!(
        (&smtp["name"], &smtp["ok"]),
        (&json!("smtp"), &json!(false))
    );
}

#[tokio::test]
async fn every_command_prints_exactly_one_json_document_with_json() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    // `Cli::json` parses all of stdout as one document: trailing text fails it.
    let (logged_out, _) = cli.json(&["logout"]).await;
    assert_eq!(logged_out["logged_out"], false);
    let out = cli.run(&["list", "--json"]).await;
    let stderr = failure(&out, 1);
    assert!(
        stderr.starts_with("error: nobody is signed in"),
        "errors go to stderr, as text: {stderr}"
    );
    let error: Value = serde_json::from_slice(&out.stdout).expect("an error is one JSON document");
    assert_eq!(error["error"]["code"], "not_signed_in", "{error}");

    cli.sign_in(&app).await;
    let (sub, _) = cli.json(&["subscribe", "--pincode", "110001"]).await;
    let id = sub["id"]
        .as_str()
        .expect("the subscription's id")
        .to_owned();
    let (listed, _) = cli.json(&["list"]).await;
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 2);
    let (slots, _) = cli.json(&["slots"]).await;
    assert!(slots["districts"].is_array(), "{slots}");
    let (status, _) = cli.json(&["status"]).await;
    assert_eq!(status["session"]["token"], "valid");
    let (gone, _) = cli.json(&["unsubscribe", &id]).await;
    assert_eq!(gone["unsubscribed"], id.as_str());
    let (logged_out, _) = cli.json(&["logout"]).await;
    assert_eq!(logged_out["logged_out"], true);
}
