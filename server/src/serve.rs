//! Serving HTTP on the listener, with the limits axum::serve lacks: a
//! connection must send a whole request header within `HEADER_READ_TIMEOUT`
//! of starting to wait for one (hyper's timer, which also runs while a
//! keep-alive connection waits for its next request, so an idle connection
//! lasts at most the shorter of the two timeouts; a watchdog here covers a
//! new connection that sends nothing at all, before hyper's timer starts);
//! one with no request in flight for `IDLE_TIMEOUT` since it last answered is
//! closed; and at
//! most `MAX_CONNECTIONS` are served at once (the next waits in the kernel's
//! backlog until one closes). On shutdown the listener closes, idle
//! connections close, and requests in flight finish.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// The connection limits (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `stopped` turns true, then waits for
/// every connection to finish its requests and close.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let permit = tokio::select! {
            () = until_stopped(&mut stopped) => break,
            p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = until_stopped(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a reset before accept: wait, keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (builder, router, stopped) = (builder.clone(), router.clone(), stopped.clone());
        tokio::spawn(async move {
            connection(&builder, stream, peer, router, limits, stopped).await;
            drop(permit);
        });
    }
    drop(listener);
    // Every connection holds a slot until it closes.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// How many requests the connection has started and has in flight, and when
/// it last finished one (ms since it opened).
#[derive(Default)]
struct Activity {
    started: AtomicUsize,
    in_flight: AtomicUsize,
    last_ms: AtomicU64,
}

impl Activity {
    /// Whether a connection open for `open` should be closed: it has sent no
    /// request within the header-read timeout (hyper's own timer starts only
    /// once the first bytes tell HTTP/1 from HTTP/2), or none is in flight
    /// and it has idled for the idle timeout.
    fn expired(&self, open: Duration, limits: &Limits) -> bool {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return false;
        }
        if self.started.load(Ordering::SeqCst) == 0 {
            return open >= limits.header_read_timeout.min(limits.idle_timeout);
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::SeqCst));
        open.saturating_sub(last) >= limits.idle_timeout
    }
}

async fn connection(
    builder: &Builder<TokioExecutor>,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let opened = Instant::now();
    let activity = Arc::new(Activity::default());
    let seen = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let (router, seen) = (router.clone(), seen.clone());
        seen.started.fetch_add(1, Ordering::SeqCst);
        seen.in_flight.fetch_add(1, Ordering::SeqCst);
        async move {
            let answer = router.oneshot(req).await;
            seen.last_ms
                .store(opened.elapsed().as_millis() as u64, Ordering::SeqCst);
            seen.in_flight.fetch_sub(1, Ordering::SeqCst);
            answer
        }
    });
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let shortest = limits.header_read_timeout.min(limits.idle_timeout);
    let mut tick = tokio::time::interval((shortest / 4).max(Duration::from_millis(50)));
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = until_stopped(&mut stopped), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = tick.tick(), if !closing => {
                if activity.expired(opened.elapsed(), &limits) {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Resolves once `stopped` turns true (or its sender is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
