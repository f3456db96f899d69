//! Workload 1, fan-out: N verified subscribers on one district, the
//! simulator opens one session, and the clock runs from detection (the poll
//! that saw it, recorded as each subscriber's "last match") to the last email
//! the SMTP sink accepted, or the last webhook the receiver got. With
//! `--cluster`, every run is made twice, on the one Redis and then on the
//! 3-master Redis Cluster (`BENCH_CLUSTER_URL`), and the figures are recorded
//! side by side with the cluster's time over the single Redis's, run by run.

use crate::fanout_run::{Outcome, Rig, one_run};
use crate::receiver::Receiver;
use crate::results::Figure;
use crate::server::{cluster_url, redis_url};
use crate::sink::Sink;

#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    #[arg(long, default_value_t = 100_000)]
    subscribers: usize,
    /// `email` or `webhook`.
    #[arg(long, default_value = "email")]
    channel: String,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// WORKER_CONCURRENCY (and SMTP_POOL_SIZE) of the server.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Record figures under this metric suffix (e.g. a sweep point) without targets.
    #[arg(long)]
    sweep: bool,
    /// Also run each run on the Redis Cluster of BENCH_CLUSTER_URL, right
    /// after the one on BENCH_REDIS_URL, and compare the two.
    #[arg(long)]
    cluster: bool,
}

/// Where the runs go: a name for the figures and a URL.
struct Place {
    workload: String,
    url: String,
    outcomes: Vec<Outcome>,
}

pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    let rig = Rig {
        sink: Sink::start().await?,
        receiver: Receiver::start().await?,
        sim: crate::sim_io::simulator().await?,
        http: reqwest::Client::new(),
    };
    let webhook = args.channel == "webhook";
    anyhow::ensure!(
        webhook || args.channel == "email",
        "--channel: use email or webhook"
    );
    let w = format!("fan-out {}", args.channel);
    let mut places = vec![Place {
        workload: w.clone(),
        url: redis_url()?,
        outcomes: vec![],
    }];
    if args.cluster {
        places.push(Place {
            workload: format!("{w}, 3-master cluster"),
            url: cluster_url()?,
            outcomes: vec![],
        });
    }
    let n = args.subscribers;
    for run in 0..args.runs {
        for place in &mut places {
            let follow = !webhook && !args.sweep;
            let prefix = format!("fan{run}:");
            let o = one_run(
                &rig,
                &place.url,
                &prefix,
                n,
                webhook,
                args.concurrency,
                follow,
            )
            .await
            .map_err(|e| e.context(format!("{}, run {run}", place.workload)))?;
            if let Some(s) = o.gone {
                println!(
                    "{}, run {run}: {n} follow-ups in {s:.2} s after the closing was seen",
                    place.workload
                );
            }
            println!(
                "{}, run {run}: {n} {} in {:.2} s after detection ({} duplicates; filled in {:.1} s)",
                place.workload, args.channel, o.secs, o.duplicates, o.fill
            );
            place.outcomes.push(o);
        }
    }
    if args.sweep {
        let rates = places[0]
            .outcomes
            .iter()
            .map(|o| n as f64 / o.secs)
            .collect();
        let metric = format!("{} per s, concurrency {}", args.channel, args.concurrency);
        return Figure::new(&w, &metric, "/s", rates)
            .note(format!("{n} subscribers"))
            .record();
    }
    let ctx = format!(
        "WORKER_CONCURRENCY = SMTP_POOL_SIZE = {}, follow-up tracking on",
        args.concurrency
    );
    for place in &places {
        record(place, n, webhook, &ctx)?;
    }
    if let [single, cluster] = &places[..] {
        let ratios = single
            .outcomes
            .iter()
            .zip(&cluster.outcomes)
            .map(|(s, c)| c.secs / s.secs)
            .collect();
        Figure::new(
            &cluster.workload,
            "detection → last delivered: cluster time / one Redis's",
            "×",
            ratios,
        )
        .at_most(1.2, "≤ 1.20 ×")
        .note("run by run, each cluster run right after its one-Redis run; all masters share the 2 cores")
        .record()?;
    }
    Ok(())
}

fn record(place: &Place, n: usize, webhook: bool, ctx: &str) -> anyhow::Result<()> {
    let w = &place.workload;
    let secs: Vec<f64> = place.outcomes.iter().map(|o| o.secs).collect();
    let (limit_s, limit_rate, shown_s, shown_rate) = if webhook {
        (
            n as f64 / 10_000.0,
            10_000.0,
            format!("< {} s", n / 10_000),
            "≥ 10,000",
        )
    } else {
        // The target: 100,000 in under 30 s, and 5,000/s or more.
        (
            n as f64 * 30.0 / 100_000.0,
            5_000.0,
            format!("< {} s", n * 30 / 100_000),
            "≥ 5,000",
        )
    };
    Figure::new(
        w,
        &format!("detection → last of {n} delivered"),
        "s",
        secs.clone(),
    )
    .at_most(limit_s, &shown_s)
    .note(ctx)
    .record()?;
    let gone: Vec<f64> = place.outcomes.iter().filter_map(|o| o.gone).collect();
    if !gone.is_empty() {
        Figure::new(
            w,
            &format!("closing seen → last of {n} Gone: follow-ups"),
            "s",
            gone,
        )
        .at_most(limit_s, &shown_s)
        .note("every alerted session closed; one threaded follow-up each")
        .record()?;
    }
    let rates = secs.iter().map(|s| n as f64 / s).collect();
    Figure::new(w, "deliveries per second", "/s", rates)
        .at_least(limit_rate, shown_rate)
        .note(ctx)
        .record()?;
    let dups = place.outcomes.iter().map(|o| o.duplicates as f64).collect();
    Figure::new(w, "duplicates", "", dups)
        .note("none expected without a crash")
        .record()?;
    let fill = place.outcomes.iter().map(|o| o.fill).collect();
    Figure::new(w, &format!("filling Redis with {n} subscribers"), "s", fill)
        .note("store calls, 256 at once")
        .record()
}
