//! A counting webhook receiver: answers every POST with 204 and counts it,
//! by `webhook-id` too, so a benchmark can tell the last delivery from a retry.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Counts {
    received: AtomicU64,
    ids: Mutex<HashSet<String>>,
    last_at: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
pub struct Receiver {
    port: u16,
    counts: Arc<Counts>,
}

impl Receiver {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        let app = Router::new().route(
            "/hook/{n}",
            post(move |headers: HeaderMap| {
                let counts = shared.clone();
                async move {
                    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                        counts.ids.lock().unwrap().insert(id.to_owned());
                    }
                    counts.received.fetch_add(1, Ordering::Relaxed);
                    counts
                        .last_at
                        .fetch_max(redis_hack_server::store::now_ms(), Ordering::Relaxed);
                    StatusCode::NO_CONTENT
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { port, counts })
    }

    /// The URL subscriber `n` registers.
    pub fn url(&self, n: usize) -> String {
        format!("http://127.0.0.1:{}/hook/{n}", self.port)
    }

    pub fn received(&self) -> u64 {
        self.counts.received.load(Ordering::Relaxed)
    }

    pub fn distinct(&self) -> usize {
        self.counts.ids.lock().unwrap().len()
    }

    /// When the last delivery arrived (ms since the epoch; 0: none yet).
    pub fn last_at_ms(&self) -> u64 {
        self.counts.last_at.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.counts.received.store(0, Ordering::Relaxed);
        self.counts.ids.lock().unwrap().clear();
        self.counts.last_at.store(0, Ordering::Relaxed);
    }

    pub async fn wait_for_distinct(&self, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.distinct() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}
