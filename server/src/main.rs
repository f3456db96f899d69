//! `redis-hack-server [all|api|poller|worker]`: load settings, connect, run
//! the chosen roles (all by default) until Ctrl-C or SIGTERM.
//! `redis-hack-server dead-letters`, `redis-hack-server replay ID` and
//! `redis-hack-server check [--repair]` are for operators;
//! `redis-hack-server openapi` prints the OpenAPI document. `cli` defines them.

mod cli;

use clap::Parser;
use cli::{Cli, Operate, role_names};
use redis_hack_server::app::connect_store;
use redis_hack_server::{Application, Settings, ops};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: under a fan-out, glibc's arena locks
/// and frees showed as the largest cost in `perf` (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Before anything else, so `--help` and usage errors (exit 2) need no settings.
    let cli = Cli::parse();
    dotenvy::dotenv().ok();
    if let Err(e) = init_logging() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `LOG` (default `info`), for people
/// (`LOG_FORMAT=human`, the default; `text` means the same) or as one JSON
/// object per line (`LOG_FORMAT=json`). Colour only when stderr is a terminal
/// and `NO_COLOR` is unset, so a log file holds plain text.
fn init_logging() -> Result<(), String> {
    let filter = EnvFilter::try_from_env("LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
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

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(Operate::Openapi) = cli.command {
        // Needs no settings: the document is the same for every deployment.
        println!("{}", redis_hack_server::openapi::json());
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::from_env()?;
    match cli.command {
        Some(Operate::DeadLetters) => return operate(&settings, None).await,
        Some(Operate::Replay { id }) => return operate(&settings, Some(&id)).await,
        Some(Operate::Check { repair }) => return check(&settings, repair).await,
        Some(Operate::Openapi) | None => {}
    }
    let roles = cli.role.roles();
    let app = Application::build(settings, roles).await?;
    let roles = role_names(roles);
    match app.local_addr() {
        Some(addr) => tracing::info!(%addr, %roles, "listening"),
        None => tracing::info!(%roles, "running"),
    }
    app.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// `check [--repair]`: exit 1 while inconsistencies are left unrepaired.
async fn check(settings: &Settings, repair: bool) -> anyhow::Result<ExitCode> {
    let store = connect_store(settings).await?;
    let (lines, consistent) = ops::check::check(&store, repair).await?;
    for line in lines {
        println!("{line}");
    }
    Ok(match consistent {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// `dead-letters` (no id) or `replay ID`.
async fn operate(settings: &Settings, replay: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = connect_store(settings).await?;
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
    Ok(ExitCode::SUCCESS)
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
