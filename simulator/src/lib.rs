//! cowin-sim: a CoWIN-compatible API simulator. The public CoWIN API is no
//! longer served, so demos and tests talk to this instead. It serves the real
//! states and districts (a 2021 snapshot of the public metadata API) under
//! `/api/v2`, with `ETag` / `Last-Modified` and 304s like the CDN did.
//!
//! Each resource lives in its own module with a `router()` relative to the API
//! root; [`router`] nests them under `/api/v2`. Answers go through
//! [`conditional::json_response`] so every resource honours validators alike.

pub mod conditional;
mod control;
mod locations;
mod pincodes;
mod sessions;
mod world;

pub use control::auto_open;
pub use sessions::{Faults, Sim};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// The path every route hangs under, as on `https://cdn-api.co-vin.in/api/v2`.
pub const API_ROOT: &str = "/api/v2";

/// The first day of every calendar the simulator serves today, `DD-MM-YYYY`
/// (today in India), as its `date` parameter expects.
pub fn today() -> String {
    world::date_of(world::india_today())
}

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct SimState {
    /// Sent as `Last-Modified`: the data is "as of" the simulator's start.
    /// Whole seconds, because HTTP dates carry no more and `If-Modified-Since`
    /// with the date we sent must compare as fresh.
    pub(crate) started: SystemTime,
}

impl SimState {
    fn new() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Self {
            started: UNIX_EPOCH + Duration::from_secs(secs),
        }
    }
}

/// The whole simulated API, rooted at `/api/v2`, with `Last-Modified` set to
/// now, every session closed, and no rate limit (tests open what they need).
pub fn router() -> Router {
    router_with(Sim::new(1, None))
}

/// The simulated API and control endpoints over the world in `sim`.
pub fn router_with(sim: Arc<Sim>) -> Router {
    router_counting(Arc::default(), sim)
}

/// Every request the simulator answered: when, and its path with the query.
pub type RequestLog = Arc<std::sync::Mutex<Vec<(Instant, String)>>>;

fn router_counting(served: Arc<AtomicU64>, sim: Arc<Sim>) -> Router {
    router_logging(served, None, sim)
}

/// `log`: keep every request (tests only; the standalone simulator keeps none).
fn router_logging(served: Arc<AtomicU64>, log: Option<RequestLog>, sim: Arc<Sim>) -> Router {
    Router::new()
        .nest(API_ROOT, locations::router())
        .with_state(SimState::new())
        .merge(sessions::router(sim.clone()))
        .merge(control::router(sim))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let (served, log) = (Arc::clone(&served), log.clone());
            count_and_log(served, log, req, next)
        }))
}

/// Counts every request (also 304s and 404s: each is a round trip a caching
/// client should have avoided) and logs it in one line.
async fn count_and_log(
    served: Arc<AtomicU64>,
    log: Option<RequestLog>,
    req: Request,
    next: Next,
) -> Response {
    served.fetch_add(1, Ordering::Relaxed);
    let (method, uri) = (req.method().clone(), req.uri().clone());
    if let Some(Ok(mut log)) = log.as_ref().map(|l| l.lock()) {
        log.push((Instant::now(), uri.to_string()));
    }
    let start = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        %uri,
        status = response.status().as_u16(),
        micros = start.elapsed().as_micros() as u64,
        "served"
    );
    response
}

/// A simulator serving from a task on the current tokio runtime, for tests.
pub struct Simulator {
    addr: SocketAddr,
    served: Arc<AtomicU64>,
    log: RequestLog,
}

impl Simulator {
    /// Serves the API on `listener` (bind port 0 for a free one) from a spawned
    /// task and returns at once; the task ends with the runtime.
    pub async fn start(listener: TcpListener) -> Simulator {
        Self::start_with(listener, Sim::new(1, None)).await
    }

    /// Like `start`, over the world (seed, rate limit) in `sim`.
    pub async fn start_with(listener: TcpListener, sim: Arc<Sim>) -> Simulator {
        let addr = listener
            .local_addr()
            .expect("a bound TcpListener has a local address");
        let served = Arc::new(AtomicU64::new(0));
        let log = RequestLog::default();
        let app = router_logging(Arc::clone(&served), Some(Arc::clone(&log)), sim);
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(%addr, "the CoWIN simulator stopped: {e}");
            }
        });
        Simulator { addr, served, log }
    }

    /// The simulator's root, for the `/control` endpoints, e.g. `http://127.0.0.1:PORT`.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL to give as `COWIN_API_URL`, e.g. `http://127.0.0.1:PORT/api/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_ROOT}", self.addr)
    }

    /// The requests served so far, so tests can check that a client cached.
    pub fn request_count(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Every request so far (when, path and query), for tests that check who
    /// polled what and when.
    pub fn requests(&self) -> Vec<(Instant, String)> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}
