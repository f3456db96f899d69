//! Register side by side: `POST /v1/register` under wrk at N connections
//! (64 by default), against a server on the one Redis (`BENCH_REDIS_URL`) and
//! one on the 3-master Redis Cluster (`BENCH_CLUSTER_URL`), run by run in
//! turn, so both see the same machine. Each request is a new address, as in
//! the API workload (`wrk/register.lua`).

use crate::api::{WrkResult, api_server, figures, wrk_dir, wrk_register};
use crate::results::Figure;
use crate::server::{cluster_url, flush_url, redis_url};
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
    let sim = crate::sim_io::simulator().await?;
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
        let (server, api) = api_server("reg:", &sim, &sink, &[("REDIS_URL", url)]).await?;
        warm_up(&api)
            .await
            .with_context(|| format!("{workload}: the first register"))?;
        places.push((workload, server, api, Vec::<WrkResult>::new()));
    }
    let dir = wrk_dir()?;
    for run in 0..args.runs {
        for (i, (_, _, api, results)) in places.iter_mut().enumerate() {
            let tag = format!("p{i}c{c}r{run}");
            results.push(wrk_register(&dir, api, c, args.seconds, tag).await?);
        }
    }
    let mut rates = vec![];
    for (workload, server, _, results) in places {
        server.stop().await;
        let [rps, p50, p99] = figures(&workload, "POST /v1/register", &results);
        let note = format!("{}; wrk {} s per run", rps.note, args.seconds);
        rates.push((workload, rps.runs.clone()));
        rps.note(note).record()?;
        p50.record()?;
        p99.record()?;
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
