//! `redis-hack-server [all|api|poller|worker]`: load settings, connect, run
//! the chosen roles (all by default) until Ctrl-C or SIGTERM.

use redis_hack_server::app::Roles;
use redis_hack_server::{Application, Settings};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    dotenvy::dotenv().ok();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("LOG").unwrap_or_else(|_| EnvFilter::new("info")))
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
    let roles = Roles::parse(std::env::args().nth(1).as_deref()).map_err(anyhow::Error::msg)?;
    let settings = Settings::from_env()?;
    let app = Application::build(settings, roles).await?;
    match app.local_addr() {
        Some(addr) => tracing::info!(%addr, ?roles, "listening"),
        None => tracing::info!(?roles, "running"),
    }
    app.run(shutdown_signal()).await?;
    tracing::info!("stopped");
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
