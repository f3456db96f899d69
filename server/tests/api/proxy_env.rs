//! The SSRF guard cannot be bypassed through a proxy: the webhook client
//! ignores `HTTP_PROXY` in its environment, and through an explicit
//! `WEBHOOK_PROXY` a name that resolves to a private address is refused
//! before anything is sent to the proxy.

use crate::faults::worker_process_with;
use crate::helpers::{
    API_AND_WORKERS, TestApp, env_or_explain, spawn_app_with, spawn_app_with_roles,
};
use crate::receiver::Receiver;
use crate::webhooks::{FAST_WEBHOOKS, PUBLISHER_KEY, publish, topic_subscriber};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A stand-in for a forward proxy: answers 200 to anything and keeps what it was sent.
struct FakeProxy {
    url: String,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
}

impl FakeProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (seen, count) = (requests.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                    let _ = socket.write_all(ok.as_bytes()).await;
                });
            }
        });
        Self {
            url,
            requests,
            connections,
        }
    }
}

/// The subscription's webhook result once there is one (waits up to 20 s).
async fn last_result(app: &TestApp, token: &str) -> String {
    for _ in 0..200 {
        let body = crate::subscriptions::list(app, token).await;
        if let Some(r) = body["subscriptions"][1]["webhook"]["last_result"].as_str() {
            return r.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no webhook attempt within 20 s");
}

#[tokio::test]
async fn http_proxy_in_the_environment_does_not_carry_webhooks_past_the_guard() {
    let proxy = FakeProxy::start().await;
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    let hook = Receiver::start(&[]).await;
    let by_name = hook.url.replace("127.0.0.1", "localhost");
    let (_, _, token) =
        topic_subscriber(&app, "cs101", json!({"email": false, "webhook": by_name})).await;
    let smtp = env_or_explain("TEST_SMTP_URL");
    let env = [
        ("HTTP_PROXY", proxy.url.as_str()),
        ("http_proxy", proxy.url.as_str()),
        ("ALL_PROXY", proxy.url.as_str()),
        ("NO_PROXY", ""),
    ];
    let _worker = worker_process_with(&app.prefix, &smtp, &env);
    publish(&app, "cs101", "seat-1", 1).await;
    let result = last_result(&app, &token).await;
    assert!(
        result.contains("refused") && result.contains("not a public address"),
        "{result}"
    );
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        0,
        "nothing went to the proxy"
    );
    assert!(hook.hits().is_empty());
}

#[tokio::test]
async fn through_webhook_proxy_a_private_name_is_refused_and_a_public_one_is_proxied() {
    let proxy = FakeProxy::start().await;
    let guarded = [
        ("PUBLISHER_KEYS", PUBLISHER_KEY),
        ("WEBHOOK_PROXY", proxy.url.as_str()),
    ];
    let app = spawn_app_with_roles(&guarded, API_AND_WORKERS).await;
    let (_, _, token) = topic_subscriber(
        &app,
        "cs101",
        json!({"email": false, "webhook": "http://localhost:9/hook"}),
    )
    .await;
    publish(&app, "cs101", "seat-1", 1).await;
    let result = last_result(&app, &token).await;
    assert!(
        result.contains("refused") && result.contains("not a public address"),
        "{result}"
    );
    assert_eq!(
        proxy.connections.load(Ordering::SeqCst),
        0,
        "refused before the proxy"
    );

    // With private targets allowed (dev), deliveries do go through the proxy.
    let mut open = FAST_WEBHOOKS.to_vec();
    open.push(("WEBHOOK_PROXY", proxy.url.as_str()));
    let app = spawn_app_with_roles(&open, API_AND_WORKERS).await;
    let (_, _, token) = topic_subscriber(
        &app,
        "cs102",
        json!({"email": false, "webhook": "http://hooks.example.invalid/in"}),
    )
    .await;
    publish(&app, "cs102", "seat-1", 1).await;
    let result = last_result(&app, &token).await;
    assert!(result.starts_with("200"), "{result}");
    let sent = proxy.requests.lock().unwrap().clone();
    assert!(
        sent.iter()
            .any(|r| r.starts_with("POST http://hooks.example.invalid/in")),
        "{sent:?}"
    );
}
