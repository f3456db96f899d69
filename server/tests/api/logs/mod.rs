//! No code, token, secret or full email address in any log line: the real
//! `redis-hack-server` binary, logging everything down to debug (trace for
//! our own crate) as JSON, through one user's whole journey over HTTP, with
//! every line it wrote checked afterwards; and a mail server whose refusal
//! repeats the address, which must reach the log masked.

mod child;

use crate::helpers::{Mailbox, env_or_explain, hex, spawn_app, unique_email};
use crate::receiver::Receiver;
use child::{Server, refusing_smtp};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything one user does, over HTTP; returns the secrets they saw.
async fn journey(server: &Server, mail: &Mailbox, email: &str, publisher_key: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| http.post(server.url(path)).json(&body).send();
    let r = post(
        "/v1/register",
        json!({"email": email, "state": "Bihar", "district": "Patna"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let code = mail.code_for(email).await;
    let wrong = if code == "123456" { "654321" } else { "123456" };
    let r = post("/v1/verify", json!({"email": email, "code": wrong}))
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "a wrong code is refused");
    let r = post("/v1/verify", json!({"email": email, "code": code}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let hook = Receiver::start(&[]).await;
    let r = http
        .post(server.url("/v1/subscriptions"))
        .bearer_auth(&token)
        .json(&json!({"topic": "cs101", "channels": {"webhook": hook.url}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let webhook_secret = created["webhook_secret"].as_str().unwrap().to_owned();
    let r = http
        .post(server.url("/v1/topics/cs101/openings"))
        .bearer_auth(publisher_key)
        .json(&json!({"id": "seat-1", "title": "Seat", "capacity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    hook.wait_for(1, Duration::from_secs(15)).await;

    // The alert email (the poller may send alerts for Patna too).
    let alert = wait_for_subject(mail, email, "cs101").await;
    let source = mail.source(&alert).await;
    let header = Mailbox::header(&source, "List-Unsubscribe").expect("List-Unsubscribe");
    let link = header
        .split(['<', '>'])
        .find(|p| p.starts_with("http"))
        .unwrap()
        .to_owned();
    let unsubscribe_token = link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(http.get(&link).send().await.unwrap().status(), 200);
    let r = http
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed = http
        .get(server.url("/v1/subscriptions"))
        .bearer_auth(&token);
    assert_eq!(listed.send().await.unwrap().status(), 200);
    let r = http.delete(server.url("/v1/session")).bearer_auth(&token);
    assert!(r.send().await.unwrap().status().is_success());
    wait_for_poll(server).await;
    vec![code, token, webhook_secret, unsubscribe_token]
}

/// Waits (up to 15 s) until the poller has polled the registered district.
async fn wait_for_poll(server: &Server) {
    for _ in 0..150 {
        let status: Value = reqwest::get(server.url("/v1/status"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["targets"][0]["last_status"].is_string() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the poller did not poll Patna within 15 s");
}

/// Waits (up to 15 s) for a message to `to` whose subject contains `needle`.
async fn wait_for_subject(mail: &Mailbox, to: &str, needle: &str) -> Value {
    for _ in 0..150 {
        let found = mail
            .messages_to(to)
            .await
            .into_iter()
            .find(|m| m["subject"].as_str().is_some_and(|s| s.contains(needle)));
        if let Some(m) = found {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no message to {to} about {needle} within 15 s");
}

/// Whether `line` holds `digits` as a number of its own (the code), outside
/// the timestamp, where six digits in a row can occur by chance.
fn holds_number(line: &Value, digits: &str) -> bool {
    let mut line = line.clone();
    line.as_object_mut().map(|o| o.remove("timestamp"));
    let text = line.to_string();
    text.match_indices(digits).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + digits.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[tokio::test]
async fn no_log_line_holds_a_code_token_secret_or_email_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = cowin_sim::Simulator::start(listener).await;
    let prefix = format!("test:{}:", hex(6));
    let publisher_key = format!("pk-{}", hex(16));
    let vars = [
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("REDIS_URL", env_or_explain("TEST_REDIS_URL")),
        ("REDIS_KEY_PREFIX", prefix.clone()),
        ("SMTP_URL", env_or_explain("TEST_SMTP_URL")),
        (
            "MAIL_FROM",
            "redis-hack tests <tests@redis-hack.test>".into(),
        ),
        ("COWIN_API_URL", sim.base_url()),
        ("PUBLISHER_KEYS", publisher_key.clone()),
        ("WEBHOOK_ALLOW_PRIVATE", "true".into()),
    ];
    let server = Server::start("all", &vars).await;
    // An in-process app of its own, for the helpers' mailbox and Redis connection.
    let helper = spawn_app().await;
    let email = unique_email();
    let seen = journey(&server, &helper.mail, &email, &publisher_key).await;
    let lines = server.stop().await;

    let (code, secrets) = seen.split_first().unwrap();
    let mut secrets = secrets.to_vec();
    secrets.push(publisher_key);
    let local = email.split('@').next().unwrap().to_owned();
    secrets.extend([email.clone(), local]);
    let mut redis = helper.redis().await;
    let key: String = redis::cmd("GET")
        .arg(format!("{prefix}key:unsubscribe"))
        .query_async(&mut redis)
        .await
        .expect("the unsubscribe key");
    secrets.push(key);

    assert!(lines.len() > 20, "the server logged: {lines:#?}");
    for line in &lines {
        let parsed: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"));
        assert!(!holds_number(&parsed, code), "the code in: {line}");
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "{secret} in: {line}");
        }
    }
    let masked = redis_hack_shared::EmailAddress::parse(&email)
        .unwrap()
        .masked();
    assert!(
        lines.iter().any(|l| l.contains(&masked)),
        "the masked address {masked} is logged, so the search above can find addresses"
    );
    for message in [
        "code issued",
        "alert delivered",
        "webhook delivered",
        "poll round",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(message)),
            "no '{message}' line: the journey was not all logged"
        );
    }
}

#[tokio::test]
async fn a_mail_server_that_repeats_the_address_in_its_refusal_is_logged_masked() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = cowin_sim::Simulator::start(listener).await;
    let vars = [
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("REDIS_URL", env_or_explain("TEST_REDIS_URL")),
        ("REDIS_KEY_PREFIX", format!("test:{}:", hex(6))),
        ("SMTP_URL", refusing_smtp().await),
        ("COWIN_API_URL", sim.base_url()),
    ];
    let server = Server::start("api", &vars).await;
    let email = unique_email();
    let r = reqwest::Client::new()
        .post(server.url("/v1/register"))
        .json(&json!({"email": email, "state": "Bihar", "district": "Patna"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "the mail server refused the code");
    let lines = server.stop().await;
    let refusal = lines
        .iter()
        .find(|l| l.contains("could not email the code"))
        .unwrap_or_else(|| panic!("the refusal is logged: {lines:#?}"));
    assert!(
        refusal.contains("550"),
        "with the server's reply: {refusal}"
    );
    let local = email.split('@').next().unwrap();
    for line in &lines {
        assert!(!line.contains(local), "the address in: {line}");
    }
}
