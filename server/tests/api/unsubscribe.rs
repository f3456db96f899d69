//! One-click unsubscribe: the headers on every alert email, the page, the
//! POST that unsubscribes without logging in, and forged links refused.

use crate::helpers::{API_AND_WORKERS, Mailbox, TestApp, env_or_explain, spawn_app_with_roles};
use crate::subscriptions::listed;
use crate::webhooks::{FAST_WEBHOOKS, publish, topic_subscriber};
use serde_json::{Value, json};

/// A subscriber to `cs101` with one alert delivered; returns its
/// List-Unsubscribe header, the https link in it, and the user's token.
async fn alerted(app: &TestApp) -> (String, String, String) {
    let (_, email, token) = topic_subscriber(app, "cs101", json!({})).await;
    publish(app, "cs101", "seat-1", 1).await;
    let alert = app.mail.wait_for(&email, 2).await.remove(1);
    let source = app.mail.source(&alert).await;
    let post = Mailbox::header(&source, "List-Unsubscribe-Post");
    assert_eq!(
        post.as_deref(),
        Some("List-Unsubscribe=One-Click"),
        "{source}"
    );
    let header = Mailbox::header(&source, "List-Unsubscribe").expect("List-Unsubscribe");
    let link = header
        .split(['<', '>'])
        .find(|p| p.starts_with("http"))
        .unwrap()
        .to_owned();
    assert!(header.contains("<mailto:"), "{header}");
    assert!(
        alert["text"].as_str().unwrap().contains(&link),
        "the footer has the link too"
    );
    (header, link, token)
}

#[tokio::test]
async fn one_post_to_the_link_unsubscribes_without_logging_in() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (_, link, token) = alerted(&app).await;
    assert_eq!(listed(&app, &token).await.len(), 2, "district and topic");
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("topic cs101") && html.contains("<button"),
        "{html}"
    );
    assert_eq!(listed(&app, &token).await.len(), 2, "GET changes nothing");
    // What a mail client sends for RFC 8058 one-click.
    let r = app
        .http
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let left = listed(&app, &token).await;
    assert_eq!(left.len(), 1, "only the topic subscription is gone");
    assert_eq!(left[0]["target"]["kind"], "district");
    let again = app.http.post(&link).send().await.unwrap();
    assert_eq!(again.status(), 200, "a second click is harmless");
    assert!(again.text().await.unwrap().contains("already off"));
}

#[tokio::test]
async fn a_forged_or_altered_link_is_refused() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (_, link, token) = alerted(&app).await;
    let (base, tok) = link.rsplit_once('/').unwrap();
    let mut parts: Vec<String> = tok.split('.').map(str::to_owned).collect();
    let mut flipped = parts.clone();
    // Another first character of the MAC (one in 64 MACs already starts with 'A').
    let other = if parts[2].starts_with('A') { 'B' } else { 'A' };
    flipped[2] = format!("{other}{}", &parts[2][1..]);
    parts[1] = "s00000000".into();
    for bad in [
        format!("{base}/{}", parts.join(".")),
        format!("{base}/{}", flipped.join(".")),
        format!("{base}/not-a-token"),
    ] {
        let page = app.http.get(&bad).send().await.unwrap();
        assert_eq!(page.status(), 400, "{bad}");
        assert!(page.text().await.unwrap().contains("not valid"));
        assert_eq!(app.http.post(&bad).send().await.unwrap().status(), 400);
    }
    assert_eq!(listed(&app, &token).await.len(), 2, "nothing removed");
}

#[tokio::test]
async fn the_unsubscribe_page_works_in_a_real_browser() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let (_, link, token) = alerted(&app).await;
    let out = std::path::Path::new(&env_or_explain("TEST_ARTIFACTS")).join("unsubscribe");
    std::fs::create_dir_all(&out).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/click.mjs");
    let run = tokio::process::Command::new("node")
        .arg(script)
        .arg(&link)
        .arg(&out)
        .env("TEST_CHROMIUM", env_or_explain("TEST_CHROMIUM"))
        .env("TEST_PLAYWRIGHT", env_or_explain("TEST_PLAYWRIGHT"))
        .output()
        .await
        .expect("run node (scripts/test.sh installs Node.js)");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the browser run failed: {stderr}");
    let seen: Value = serde_json::from_slice(&run.stdout).expect("click.mjs prints JSON");
    let (before, after) = (&seen["before"], &seen["after"]);
    assert_eq!(before["status"], 200);
    assert_eq!(before["h1"], "Stop these alerts?");
    assert!(
        before["text"].as_str().unwrap().contains("topic cs101"),
        "{before}"
    );
    assert_eq!(before["buttons"], json!(["Unsubscribe"]), "one button");
    assert_eq!(after["status"], 200);
    assert_eq!(after["h1"], "Unsubscribed");
    assert!(
        after["text"]
            .as_str()
            .unwrap()
            .contains("no more alerts for"),
        "{after}"
    );
    assert_eq!(
        listed(&app, &token).await.len(),
        1,
        "the click unsubscribed"
    );
    for shot in ["before.png", "after.png"] {
        let png = std::fs::read(out.join(shot)).expect("the screenshot is kept");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 2000,
            "{shot} is a real PNG"
        );
    }
}
