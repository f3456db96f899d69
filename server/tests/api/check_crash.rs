//! `redis-hack-server check` after a real server process aborted between two
//! writes of one user action (`REDIS_HACK_FAILPOINT`, placed by the layout 2
//! write ordering): it reports exactly that half-done item, `--repair` fixes
//! it from the user document, and the user sees the right state afterwards.
//! The helpers are in `check_helpers.rs`.

use crate::check_helpers::{
    BEHIND_A_PROXY, NOT_INDEXED, SERVER, check, fans_out_to, found_then_repaired, ids,
    sign_in_again,
};
use crate::helpers::{TestApp, env_or_explain, spawn_app, spawn_app_with, unique_email};
use crate::open_now::{NO_WAIT, alerts_to, bare_user, open_patna, subscribe};
use crate::simulated::pipeline;
use crate::subscriptions::listed;
use redis_hack_server::store::now_ms;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;

// With failpoints: a real server process aborts between two writes. The
// failpoints are placed by the layout 2 write ordering (the keys branch).

/// A `redis-hack-server api` process on `app`'s prefix that aborts at `failpoint`.
async fn crashing_server(app: &TestApp, failpoint: &str) -> (String, tokio::process::Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(SERVER)
        .arg("api")
        .env_clear()
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", &app.prefix)
        .env("SMTP_URL", env_or_explain("TEST_SMTP_URL"))
        .env("MAIL_FROM", "redis-hack tests <tests@redis-hack.test>")
        .env("COWIN_API_URL", app.sim.base_url())
        .env("REDIS_HACK_FAILPOINT", failpoint)
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-hack-server");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..150 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return (base, child);
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server exited while starting"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start within 15 s");
}

/// The request to the crashing server failed and the process aborted.
async fn crashed(answer: reqwest::Result<reqwest::Response>, mut child: tokio::process::Child) {
    assert!(
        answer.is_err(),
        "no answer from a process that aborted: {answer:?}"
    );
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server aborted")
        .unwrap();
    assert!(!status.success(), "{status}");
}

/// The subscribe dies after writing the document: the repair indexes the
/// subscription (the document is the source of truth), so it is listed and
/// in the fan-out.
#[tokio::test]
async fn a_server_killed_inside_a_subscribe_leaves_one_unindexed_subscription() {
    let app = spawn_app().await;
    let (_, token) = bare_user(&app).await;
    let (base, child) = crashing_server(&app, "sub-doc-written").await;
    let answer = app
        .http
        .post(format!("{base}/v1/subscriptions"))
        .bearer_auth(&token)
        .json(&json!({"district_id": 97}))
        .send()
        .await;
    crashed(answer, child).await;

    found_then_repaired(&app.prefix, &[(NOT_INDEXED, 1)]).await;

    let subs = listed(&app, &token).await;
    assert_eq!(subs.len(), 1);
    assert!(fans_out_to(&app, "d:97", subs[0]["id"].as_str().unwrap()).await);
}

/// The unsubscribe dies after removing the index entry: the document still
/// has the subscription and is the source of truth, so the repair indexes it
/// again and it is still listed (the user was told nothing, the request failed).
#[tokio::test]
async fn a_server_killed_inside_an_unsubscribe_leaves_one_unindexed_subscription() {
    let app = spawn_app().await;
    let (_, token) = bare_user(&app).await;
    let made = subscribe(&app, &token, json!({"district_id": 97})).await;
    let sid = made["id"].as_str().unwrap().to_owned();
    let (base, child) = crashing_server(&app, "index-removed").await;
    let answer = app
        .http
        .delete(format!("{base}/v1/subscriptions/{sid}"))
        .bearer_auth(&token)
        .send()
        .await;
    crashed(answer, child).await;

    found_then_repaired(&app.prefix, &[(NOT_INDEXED, 1)]).await;

    assert_eq!(ids(&listed(&app, &token).await), [sid.as_str()]);
    assert!(fans_out_to(&app, "d:97", &sid).await);
}

/// The verify dies after the new user's document got the registered
/// district's subscription, before its index entry (creating the user is one
/// write, so this is the only half-done state a verify leaves): the repair
/// indexes it, and the user, signing in again, is alerted when it opens.
#[tokio::test]
async fn a_server_killed_inside_a_verify_leaves_its_district_unindexed() {
    let app = spawn_app_with(BEHIND_A_PROXY).await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let email = unique_email();
    let code = app.requested_code(&email).await;
    let (base, child) = crashing_server(&app, "sub-doc-written").await;
    let answer = app
        .http
        .post(format!("{base}/v1/verify"))
        .json(&json!({"email": email, "code": code}))
        .send()
        .await;
    crashed(answer, child).await;

    found_then_repaired(&app.prefix, &[(NOT_INDEXED, 1)]).await;

    let token = sign_in_again(&app, &email).await;
    let subs = listed(&app, &token).await;
    assert_eq!(subs.len(), 1, "the registered district, once");
    assert!(fans_out_to(&app, "d:97", subs[0]["id"].as_str().unwrap()).await);
    open_patna(&app, 5).await;
    assert_eq!(poller.poll_once(now_ms()).await.unwrap().alerts_queued, 1);
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 3).await; // two codes, then the alert
    assert_eq!(alerts_to(&app, &email).await, 1);
    let (code, out) = check(&app.prefix, &[]).await;
    assert_eq!(code, 0, "{out}");
}
