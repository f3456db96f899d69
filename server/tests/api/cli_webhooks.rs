//! The CLI's webhook and topic flags through the real `redis-hack` binary:
//! the secret printed once with how to verify it, and `list` showing how the
//! webhook is doing after a delivery.

use crate::cli::Cli;
use crate::helpers::{API_AND_WORKERS, spawn_app_with_roles};
use crate::receiver::Receiver;
use crate::webhooks::{FAST_WEBHOOKS, publish};
use std::time::Duration;

#[tokio::test]
async fn subscribe_with_a_webhook_prints_the_secret_once_and_list_shows_its_state() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, API_AND_WORKERS).await;
    let hook = Receiver::start(&[]).await;
    let cli = Cli::new(&app.base_url);
    cli.sign_in(&app).await;

    let refused = cli
        .run(&["subscribe", "--topic", "cs101", "--no-email"])
        .await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--webhook"));

    let out = cli
        .run(&[
            "subscribe",
            "--topic",
            "cs101",
            "--webhook",
            &hook.url,
            "--no-email",
        ])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("whsec_").count(), 1, "{stdout}");
    assert!(
        stdout.contains("shown once") && stdout.contains("webhook-signature"),
        "{stdout}"
    );

    publish(&app, "cs101", "seat-1", 1).await;
    hook.wait_for(1, Duration::from_secs(10)).await;
    let mut listed = String::new();
    for _ in 0..50 {
        let out = cli.run(&["list"]).await;
        listed = String::from_utf8_lossy(&out.stdout).into_owned();
        if !listed.contains("last delivery never") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!listed.contains("whsec_"), "list never shows the secret");
    assert!(
        listed.contains("topic cs101") && listed.contains("webhook"),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("webhook {}: last delivery", hook.url)),
        "{listed}"
    );
    assert!(
        listed.contains("0 failure(s) in a row, last answer 200"),
        "{listed}"
    );
}
