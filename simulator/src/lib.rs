//! cowin-sim: a CoWIN-compatible API simulator. The public CoWIN API is no
//! longer served, so demos and tests talk to this instead. It serves the real
//! states and districts (a 2021 snapshot of the public metadata API) under
//! `/api/v2`, with `ETag` / `Last-Modified` and 304s like a CDN would.

mod locations;

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;

/// Counts served requests, so tests can see whether a client used its cache.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

/// The router of the whole simulated API, rooted at `/api/v2`.
pub fn router() -> Router {
    router_counting(Counter::default())
}

fn router_counting(counter: Counter) -> Router {
    Router::new()
        .nest("/api/v2", locations::router())
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| {
                let counter = counter.clone();
                async move {
                    counter.0.fetch_add(1, Ordering::Relaxed);
                    next.run(req).await
                }
            },
        ))
}

/// A simulator running in the background of the current tokio runtime.
pub struct Simulator {
    addr: SocketAddr,
    counter: Counter,
}

impl Simulator {
    /// Serves the simulated API on `listener` from a spawned task.
    pub async fn start(listener: TcpListener) -> Simulator {
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let counter = Counter::default();
        let app = router_counting(counter.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Simulator { addr, counter }
    }

    /// The base URL to give as `COWIN_API_URL`, e.g. `http://127.0.0.1:PORT/api/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.counter.0.load(Ordering::Relaxed)
    }
}
