//! `cowin-sim`: serves the simulated CoWIN API on `SIM_BIND_ADDR` (default
//! 127.0.0.1:8090) until Ctrl-C or SIGTERM. `LOG` sets the tracing filter.

use anyhow::Context;
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8090";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        // Colour codes only make log files (scripts/dev.sh writes them) hard to read.
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let addr = std::env::var("SIM_BIND_ADDR")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("SIM_BIND_ADDR: cannot listen on {addr}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    tracing::info!(base_url = %format!("http://{bound}{}", cowin_sim::API_ROOT), "CoWIN simulator listening");
    let sim = cowin_sim::Sim::new(env_number("SIM_SEED", 1)?, rate_limit()?);
    if let Some((district, every)) = auto_open()? {
        tokio::spawn(cowin_sim::auto_open(sim.clone(), district, every));
    }
    let app =
        cowin_sim::router_with(sim).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving the CoWIN simulator")?;
    tracing::info!("CoWIN simulator stopped");
    Ok(())
}

fn env_number(var: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{var}: '{v}' is not a number")),
        _ => Ok(default),
    }
}

/// `SIM_RATE_LIMIT`: `100/300` (the real API's 100 calls per 5 minutes per IP, the default) or `off`.
fn rate_limit() -> anyhow::Result<Option<(usize, std::time::Duration)>> {
    let raw = std::env::var("SIM_RATE_LIMIT").unwrap_or_else(|_| "100/300".into());
    if raw.trim() == "off" {
        return Ok(None);
    }
    let (n, secs) = raw
        .split_once('/')
        .context("SIM_RATE_LIMIT: use CALLS/SECONDS like 100/300, or off")?;
    let n = n
        .trim()
        .parse()
        .context("SIM_RATE_LIMIT: calls must be a number")?;
    let secs = secs
        .trim()
        .trim_end_matches('s')
        .parse()
        .context("SIM_RATE_LIMIT: seconds must be a number")?;
    Ok(Some((n, std::time::Duration::from_secs(secs))))
}

/// `SIM_AUTO_OPEN`: `97:60` opens a slot in district 97 every 60 s (for demos).
fn auto_open() -> anyhow::Result<Option<(u32, std::time::Duration)>> {
    let Ok(raw) = std::env::var("SIM_AUTO_OPEN") else {
        return Ok(None);
    };
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let (d, secs) = raw
        .split_once(':')
        .context("SIM_AUTO_OPEN: use DISTRICT:SECONDS like 97:60")?;
    let d = d
        .trim()
        .parse()
        .context("SIM_AUTO_OPEN: the district must be a number")?;
    let secs: u64 = secs
        .trim()
        .trim_end_matches('s')
        .parse()
        .context("SIM_AUTO_OPEN: seconds must be a number")?;
    Ok(Some((d, std::time::Duration::from_secs(secs.max(1)))))
}

/// Ctrl-C from a terminal, or SIGTERM from scripts/dev.sh and container runtimes.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
