//! Register side by side: `POST /v1/register` under wrk at N connections
//! (64 by default), against a server on the one Redis (`BENCH_REDIS_URL`) and
//! one on the 3-master Redis Cluster (`BENCH_CLUSTER_URL`), run by run in
//! turn, so both see the same machine. Each request is a new address, as in
//! the API workload (`wrk/register.lua`).

use crate::api::{REGISTER, WrkResult, wrk};
use crate::results::Figure;
use crate::server::{Server, cluster_url, flush_url, redis_url};
use crate::sink::Sink;
use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Seconds per wrk run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    #[arg(long, default_value_t = 64)]
    connections: usize,
}

pub async fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let sink = Sink::start().await?;
    let sim = cowin_sim::Simulator::start_with(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        cowin_sim::Sim::new(1, None),
    )
    .await;
    let c = args.connections;
    let mut places = vec![];
    for (workload, url) in [
        (format!("register, {c} conn"), redis_url()?),
        (
            format!("register, {c} conn, 3-master cluster"),
            cluster_url()?,
        ),
    ] {
        flush_url(&url).await?;
        let server = Server::start(
            "api",
            "reg:",
            &[
                ("REDIS_URL", url.clone()),
                ("COWIN_API_URL", sim.base_url()),
                ("SMTP_URL", sink.url()),
                ("RATE_LIMIT_IP_PER_HOUR", "1000000000".into()),
                ("SMTP_POOL_SIZE", "64".into()),
            ],
        )
        .await?;
        let api = server.api.clone().context("the api role serves HTTP")?;
        warm_up(&api)
            .await
            .with_context(|| format!("{workload}: the first register"))?;
        places.push((workload, server, api, Vec::<WrkResult>::new()));
    }
    let dir = std::env::temp_dir().join(format!("rh-bench-reg-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for run in 0..args.runs {
        for (i, (_, _, api, results)) in places.iter_mut().enumerate() {
            let env = vec![("BENCH_RUN", format!("p{i}c{c}r{run}"))];
            let url = format!("{api}/v1/register");
            results.push(wrk(&dir, REGISTER, &url, c, args.seconds, &env).await?);
        }
    }
    let mut rates = vec![];
    for (workload, server, _, results) in places {
        server.stop().await;
        let bad: u64 = results.iter().map(|r| r.bad_status + r.socket_errors).sum();
        let total: u64 = results.iter().map(|r| r.requests).sum();
        let rps: Vec<f64> = results.iter().map(|r| r.rps).collect();
        Figure::new(&workload, "POST /v1/register requests/s", "/s", rps.clone())
            .note(format!(
                "{bad} of {total} requests failed or were refused; wrk {} s per run",
                args.seconds
            ))
            .record()?;
        let p50 = results.iter().map(|r| r.p50_ms).collect();
        Figure::new(&workload, "POST /v1/register p50", "ms", p50).record()?;
        let p99 = results.iter().map(|r| r.p99_ms).collect();
        Figure::new(&workload, "POST /v1/register p99", "ms", p99).record()?;
        rates.push((workload, rps));
    }
    if let [(_, single), (workload, cluster)] = &rates[..] {
        let ratios = cluster.iter().zip(single).map(|(c, s)| c / s).collect();
        Figure::new(workload, "register rate: cluster / one Redis", "×", ratios)
            .note("run by run, each cluster run right after its one-Redis run")
            .record()?;
    }
    Ok(())
}

/// One register, so the server builds its district index before wrk starts.
async fn warm_up(api: &str) -> anyhow::Result<()> {
    let r = reqwest::Client::new()
        .post(format!("{api}/v1/register"))
        .json(&serde_json::json!({"email": "warm-up@example.com", "district_id": 97}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "register answered {}", r.status());
    Ok(())
}
