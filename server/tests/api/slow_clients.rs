//! Slow clients cannot hold connections: with `HEADER_READ_TIMEOUT` (or
//! `IDLE_TIMEOUT`) at 1 s, sockets that send nothing, sockets that trickle a
//! header that never ends, and a keep-alive connection left idle after its
//! request are all closed, while ordinary requests keep being answered; and
//! no more than `MAX_CONNECTIONS` are served at once.

use crate::helpers::spawn_app_with;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a socket may stay open here (the timeouts are 1 s).
const WITHIN: Duration = Duration::from_secs(10);

/// Reads until the server closes the connection; false if it is still open after `WITHIN`.
async fn closed_by_server(mut reader: impl AsyncReadExt + Unpin) -> bool {
    let mut buf = [0u8; 1024];
    let until_closed = async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(WITHIN, until_closed).await.is_ok()
}

async fn idle(addr: String) -> bool {
    let socket = TcpStream::connect(&addr).await.unwrap();
    closed_by_server(socket).await
}

async fn trickling(addr: String) -> bool {
    let (reader, mut writer) = TcpStream::connect(&addr).await.unwrap().into_split();
    writer
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")
        .await
        .unwrap();
    let trickle = async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(b"X-Slow: 1\r\n").await.is_err() {
                // Keep waiting: the reader decides.
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        closed = closed_by_server(reader) => closed,
        () = trickle => unreachable!(),
    }
}

async fn idle_after_a_request(addr: String) -> bool {
    let mut socket = TcpStream::connect(&addr).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: keepalive\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = socket.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "the request was answered"
    );
    closed_by_server(socket).await
}

#[tokio::test]
async fn idle_and_trickling_connections_are_closed_while_requests_are_served() {
    // The idle timeout stays at its 60 s: a whole header is due within 1 s,
    // also for the next request on a keep-alive connection.
    let app = spawn_app_with(&[("HEADER_READ_TIMEOUT", "1s")]).await;
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut sockets = tokio::task::JoinSet::new();
    for _ in 0..20 {
        sockets.spawn(idle(addr.clone()));
        sockets.spawn(trickling(addr.clone()));
    }
    sockets.spawn(idle_after_a_request(addr.clone()));
    // Meanwhile, fresh clients are answered as usual.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..10 {
        let r = fresh.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut open = 0;
    while let Some(closed) = sockets.join_next().await {
        open += usize::from(!closed.unwrap());
    }
    assert_eq!(
        open, 0,
        "{open} of 41 slow connections were still open after {WITHIN:?}"
    );
}

#[tokio::test]
async fn the_idle_timeout_alone_closes_connections_that_wait_between_requests() {
    let app = spawn_app_with(&[("IDLE_TIMEOUT", "1s")]).await;
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    assert!(
        idle_after_a_request(addr.clone()).await,
        "idle after its answer"
    );
    assert!(idle(addr).await, "silent from the start");
}

#[tokio::test]
async fn past_max_connections_a_client_waits_until_one_closes() {
    let app = spawn_app_with(&[("MAX_CONNECTIONS", "2")]).await;
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let held = [
        TcpStream::connect(&addr).await.unwrap(),
        TcpStream::connect(&addr).await.unwrap(),
    ];
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let blocked = fresh()
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(blocked.is_err(), "both connections are taken: {blocked:?}");
    drop(held);
    let r = fresh()
        .get(app.url("/healthz"))
        .timeout(WITHIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "served once a connection closed");
}
