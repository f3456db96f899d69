//! `cowin-sim`: serve the simulated CoWIN API on `SIM_BIND_ADDR`
//! (default 127.0.0.1:8090) until Ctrl-C.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let addr = std::env::var("SIM_BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: SIM_BIND_ADDR: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(base_url = %format!("http://{addr}/api/v2"), "CoWIN simulator listening");
    let serve = axum::serve(listener, cowin_sim::router()).with_graceful_shutdown(async {
        tokio::signal::ctrl_c().await.ok();
    });
    match serve.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
