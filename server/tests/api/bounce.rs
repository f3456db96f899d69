//! Bounce suppression against a real SMTP server that answers `550 5.1.1`
//! to RCPT for the subscriber's address: one attempt suspends the address
//! (no retry, no dead letter), `list` shows why, the user's webhook gets an
//! `email.suspended` event, later alerts reach the webhook but never the mail
//! server, and verifying the address again lifts the suspension. A 4xx is
//! retried as before; a 5xx at the end of DATA suspends like one at RCPT.

use crate::alerts::NO_WAIT;
use crate::helpers::{TestApp, env_or_explain, spawn_app_with_roles};
use crate::receiver::Receiver;
use crate::sink::SmtpSink;
use crate::subscriptions::list;
use crate::webhooks::{FAST_WEBHOOKS, publish, topic_subscriber};
use redis::AsyncCommands;
use redis_hack_server::Settings;
use redis_hack_server::alerts::Worker;
use redis_hack_server::app::Roles;
use redis_hack_server::store::Store;
use redis_hack_server::webhook::WebhookWorker;
use redis_hack_server::workers::delivery_workers;
use serde_json::{Value, json};
use std::time::Duration;

/// Both delivery workers of `app`'s store, sending mail to `smtp_url`.
async fn workers(app: &TestApp, smtp_url: &str) -> (Worker, WebhookWorker) {
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let settings = Settings::from_vars(|k| match k {
        "SMTP_URL" => Some(smtp_url.to_owned()),
        "WEBHOOK_ALLOW_PRIVATE" => Some("true".into()),
        "RETRY_BASE" | "RETRY_MAX" => Some("10ms".into()),
        _ => None,
    })
    .unwrap();
    delivery_workers(&store, &settings, "bounce").await.unwrap()
}

/// Runs the webhook worker until `receiver` has `n` requests; their bodies.
async fn hook_bodies(hooks: &WebhookWorker, receiver: &Receiver, n: usize) -> Vec<Value> {
    for _ in 0..50 {
        if receiver.hits().len() >= n {
            break;
        }
        hooks.run_once(Duration::from_millis(100)).await.unwrap();
    }
    let hits = receiver.wait_for(n, Duration::from_secs(5)).await;
    hits.iter()
        .map(|h| serde_json::from_str(&h.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_550_suspends_the_address_after_one_attempt_and_verifying_again_lifts_it() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, Roles::API).await;
    let receiver = Receiver::start(&[]).await;
    let channels = json!({"email": true, "webhook": receiver.url});
    let (created, email, token) = topic_subscriber(&app, "cs101", channels).await;
    let sink = SmtpSink::start().await;
    sink.refuse(&email);
    let (mail, hooks) = workers(&app, &sink.url()).await;

    publish(&app, "cs101", "seat-1", 1).await;
    let pass = mail.run_once(NO_WAIT).await.unwrap();
    assert_eq!(pass.suspended, 1, "{pass:?}");
    assert_eq!(
        sink.refused(),
        std::slice::from_ref(&email),
        "one attempt, refused"
    );
    let mut redis = app.redis().await;
    let retries: u64 = redis
        .zcard(format!("{}alerts:retry", app.prefix))
        .await
        .unwrap();
    let dead: u64 = redis
        .xlen(format!("{}alerts:dead", app.prefix))
        .await
        .unwrap();
    assert_eq!((retries, dead), (0, 0), "neither retried nor dead-lettered");

    let listed = list(&app, &token).await;
    let reason = listed["email_suspended"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(reason.starts_with("550 5.1.1"), "{reason}");
    assert!(
        reason.contains("mailbox unavailable") && !reason.contains(&email),
        "{reason}"
    );
    assert!(listed["email_suspended"]["since"].is_string(), "{listed}");

    let bodies = hook_bodies(&hooks, &receiver, 2).await;
    let suspended: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["type"] == "email.suspended")
        .collect();
    assert_eq!(suspended.len(), 1, "{bodies:?}");
    assert_eq!(suspended[0]["data"]["subscription_id"], created["id"]);
    assert_eq!(suspended[0]["data"]["reason"], reason);

    // Later alerts still reach the webhook, and never the mail server.
    publish(&app, "cs101", "seat-2", 1).await;
    assert_eq!(mail.run_once(NO_WAIT).await.unwrap().suspended, 1);
    let bodies = hook_bodies(&hooks, &receiver, 3).await;
    let seat2 = bodies
        .iter()
        .filter(|b| b["type"] == "opening.published")
        .count();
    assert_eq!(seat2, 2, "{bodies:?}");
    assert_eq!(sink.refused().len(), 1, "no second attempt");
    assert_eq!(sink.count(), 0);

    // Registering and verifying the address again lifts the suspension
    // (the one-code-a-minute limit is not what this test is about).
    let _: u64 = redis
        .del(format!(
            "{}rl:email-ip-min:{{{email}}}:127.0.0.1",
            app.prefix
        ))
        .await
        .unwrap();
    let token = app.signed_up(&email).await;
    let listed = list(&app, &token).await;
    assert!(listed.get("email_suspended").is_none(), "{listed}");
}

#[tokio::test]
async fn a_450_is_retried_and_a_554_to_the_message_itself_suspends() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, Roles::API).await;
    let (_, email, token) = topic_subscriber(&app, "cs101", json!({"email": true})).await;
    let sink = SmtpSink::start().await;
    sink.answer_rcpt(&email, "450 4.2.1 <{to}>: mailbox busy, try again later");
    let (mail, _) = workers(&app, &sink.url()).await;
    publish(&app, "cs101", "seat-1", 1).await;
    let pass = mail.run_once(NO_WAIT).await.unwrap();
    assert_eq!((pass.retried, pass.suspended), (1, 0), "{pass:?}");
    assert!(list(&app, &token).await.get("email_suspended").is_none());

    sink.answer_data(&email, "554 5.7.1 message refused as spam");
    tokio::time::sleep(Duration::from_millis(50)).await; // the 10 ms back-off
    let pass = mail.run_once(NO_WAIT).await.unwrap();
    assert_eq!(pass.suspended, 1, "{pass:?}");
    assert_eq!(sink.refused().len(), 2, "one 450, then one 554");
    let listed = list(&app, &token).await;
    assert_eq!(
        listed["email_suspended"]["reason"], "554 5.7.1 message refused as spam",
        "{listed}"
    );
}

#[tokio::test]
async fn a_5xx_about_our_session_not_the_address_is_retried_and_suspends_nobody() {
    let app = spawn_app_with_roles(FAST_WEBHOOKS, Roles::API).await;
    let (_, email, token) = topic_subscriber(&app, "cs101", json!({"email": true})).await;
    let sink = SmtpSink::start().await;
    // What a server says when our credentials are wrong: every address would
    // get it, so it must not count against this one.
    sink.answer_rcpt(&email, "530 5.7.0 Authentication required");
    let (mail, _) = workers(&app, &sink.url()).await;
    publish(&app, "cs101", "seat-1", 1).await;
    let pass = mail.run_once(NO_WAIT).await.unwrap();
    assert_eq!((pass.retried, pass.suspended), (1, 0), "{pass:?}");
    assert!(list(&app, &token).await.get("email_suspended").is_none());
}
