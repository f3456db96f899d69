//! `redis-hack-server [all|api|poller|worker]`: load settings, connect, run
//! the chosen roles (all by default) until Ctrl-C or SIGTERM.
//! `redis-hack-server dead-letters` and `redis-hack-server replay ID` are for operators;
//! `redis-hack-server openapi` prints the OpenAPI document.

use anyhow::Context;
use redis_hack_server::app::Roles;
use redis_hack_server::store::Store;
use redis_hack_server::{Application, Settings, ops};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: under a fan-out, glibc's arena locks
/// and frees showed as the largest cost in `perf` (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    if let Err(e) = init_logging() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs filtered by `LOG` (default `info`), for people (`LOG_FORMAT=human`,
/// the default; `text` means the same) or as one JSON object per line
/// (`LOG_FORMAT=json`).
fn init_logging() -> Result<(), String> {
    let filter = EnvFilter::try_from_env("LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "human" | "text" => logs.init(),
        "json" => logs.json().init(),
        other => {
            return Err(format!(
                "LOG_FORMAT: '{other}' is not a log format; use human (the default) or json"
            ));
        }
    }
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("openapi") {
        // Needs no settings: the document is the same for every deployment.
        println!("{}", redis_hack_server::openapi::json());
        return Ok(());
    }
    let settings = Settings::from_env()?;
    match args.first().map(String::as_str) {
        Some("dead-letters") => return operate(&settings, None).await,
        Some("replay") => {
            let id = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: redis-hack-server replay ID"))?;
            return operate(&settings, Some(id)).await;
        }
        _ => {}
    }
    let roles = Roles::parse(args.first().map(String::as_str)).map_err(anyhow::Error::msg)?;
    let app = Application::build(settings, roles).await?;
    match app.local_addr() {
        Some(addr) => tracing::info!(%addr, ?roles, "listening"),
        None => tracing::info!(?roles, "running"),
    }
    app.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// `dead-letters` (no id) or `replay ID`.
async fn operate(settings: &Settings, replay: Option<&str>) -> anyhow::Result<()> {
    let store = Store::connect(settings.redis_url.expose(), &settings.key_prefix)
        .await
        .context("REDIS_URL")?;
    match replay {
        None => {
            let lines = ops::dead_letters(&store).await?;
            if lines.is_empty() {
                println!("No dead letters.");
            }
            for line in lines {
                println!("{line}");
            }
        }
        Some(id) => match ops::replay(&store, id).await? {
            true => println!("Replayed {id}: it is back on the queue."),
            false => anyhow::bail!(
                "there is no dead letter {id}; list them with redis-hack-server dead-letters"
            ),
        },
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
