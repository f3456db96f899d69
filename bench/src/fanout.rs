//! Workload 1, fan-out: N verified subscribers on one district, the
//! simulator opens one session, and the clock runs from detection (the poll
//! that saw it, recorded as each subscriber's "last match") to the last email
//! the SMTP sink accepted, or the last webhook the receiver got.

use crate::populate::{Channel, Plan, populate};
use crate::receiver::Receiver;
use crate::results::Figure;
use crate::server::{Server, flush, redis_url};
use crate::sim_io::control;
use crate::sink::Sink;
use anyhow::Context;
use redis_hack_server::store::Store;
use redis_hack_shared::Target;
use std::sync::Arc;
use std::time::Duration;

const DISTRICT: u32 = 97; // Patna

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
}

pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    let sink = Sink::start().await?;
    let receiver = Receiver::start().await?;
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = cowin_sim::Simulator::start_with(sim_listener, cowin_sim::Sim::new(1, None)).await;
    let http = reqwest::Client::new();
    let webhook = args.channel == "webhook";
    anyhow::ensure!(
        webhook || args.channel == "email",
        "--channel: use email or webhook"
    );
    let (mut secs, mut rates, mut dups, mut fill) = (vec![], vec![], vec![], vec![]);
    let mut gone_secs = vec![];
    for run in 0..args.runs {
        flush().await?;
        let prefix = format!("fan{run}:");
        let store = Store::connect(&redis_url()?, &prefix).await?;
        let rec = receiver.clone();
        let plan = Plan {
            count: args.subscribers,
            target: Arc::new(|_| Target::District {
                district_id: DISTRICT.into(),
                district_name: "Patna".into(),
                state_name: "Bihar".into(),
            }),
            channel: if webhook {
                Channel::Webhook(Arc::new(move |n| rec.url(n)))
            } else {
                Channel::Email
            },
            token: false,
        };
        fill.push(populate(&store, &plan, 0).await?);
        control(
            &http,
            &sim.root_url(),
            "close",
            serde_json::json!({"district_id": DISTRICT}),
        )
        .await?;
        let c = args.concurrency.to_string();
        let server = Server::start(
            "all",
            &prefix,
            &[
                ("COWIN_API_URL", sim.base_url()),
                ("SMTP_URL", sink.url()),
                ("POLL_MIN_INTERVAL", "1s".into()),
                ("WORKER_CONCURRENCY", c.clone()),
                ("SMTP_POOL_SIZE", c),
            ],
        )
        .await?;
        let target = redis_hack_shared::TargetKey::District(DISTRICT.into());
        wait_until(Duration::from_secs(30), || async {
            Ok(store.poll_state(&target).await?.at_ms.is_some())
        })
        .await
        .context("the server never polled the district")?;
        sink.reset();
        receiver.reset();
        control(
            &http,
            &sim.root_url(),
            "open",
            serde_json::json!({"district_id": DISTRICT, "dose1": 50}),
        )
        .await?;
        let within = Duration::from_secs(600);
        let (done, last, delivered, distinct) = if webhook {
            let done = receiver.wait_for_distinct(args.subscribers, within).await;
            (
                done,
                receiver.last_at_ms(),
                receiver.received(),
                receiver.distinct(),
            )
        } else {
            let done = sink.wait_for_recipients(args.subscribers, within).await;
            (done, sink.last_at_ms(), sink.accepted(), sink.recipients())
        };
        let gone = match (done, webhook || args.sweep) {
            (true, false) => Some(follow_ups(&sink, &http, &sim, &store, args.subscribers).await),
            _ => None,
        };
        server.stop().await;
        anyhow::ensure!(
            done,
            "run {run}: only {distinct} of {} subscribers got the alert within {within:?}",
            args.subscribers
        );
        if let Some(gone) = gone {
            let s = gone.with_context(|| format!("run {run}: the follow-ups"))?;
            println!(
                "run {run}: {} follow-ups in {s:.2} s after the closing was seen",
                args.subscribers
            );
            gone_secs.push(s);
        }
        let detected = detected_at(&prefix, "user0@example.com").await?;
        let s = last.saturating_sub(detected) as f64 / 1000.0;
        println!(
            "run {run}: {} {} in {s:.2} s after detection ({} duplicates; filled in {:.1} s)",
            distinct,
            args.channel,
            delivered - distinct as u64,
            fill[run]
        );
        secs.push(s);
        rates.push(args.subscribers as f64 / s);
        dups.push((delivered - distinct as u64) as f64);
    }
    let n = args.subscribers;
    let w = format!("fan-out {}", args.channel);
    let ctx = format!(
        "WORKER_CONCURRENCY = SMTP_POOL_SIZE = {}, follow-up tracking on",
        args.concurrency
    );
    if args.sweep {
        let metric = format!("{} per s, concurrency {}", args.channel, args.concurrency);
        return Figure::new(&w, &metric, "/s", rates)
            .note(format!("{n} subscribers"))
            .record();
    }
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
    Figure::new(&w, &format!("detection → last of {n} delivered"), "s", secs)
        .at_most(limit_s, &shown_s)
        .note(&ctx)
        .record()?;
    if !gone_secs.is_empty() {
        Figure::new(
            &w,
            &format!("closing seen → last of {n} Gone: follow-ups"),
            "s",
            gone_secs,
        )
        .at_most(limit_s, &shown_s)
        .note("every alerted session closed; one threaded follow-up each")
        .record()?;
    }
    Figure::new(&w, "deliveries per second", "/s", rates)
        .at_least(limit_rate, shown_rate)
        .note(&ctx)
        .record()?;
    Figure::new(&w, "duplicates", "", dups)
        .note("none expected without a crash")
        .record()?;
    Figure::new(
        &w,
        &format!("filling Redis with {n} subscribers"),
        "s",
        fill,
    )
    .note("store calls, 256 at once")
    .record()
}

/// Closes the district once every subscriber has the alert, and times the
/// `Gone:` follow-ups: from the poll that saw it closed (the `slots.closed`
/// event in the first subscriber's feed) to the last one the sink accepted.
async fn follow_ups(
    sink: &Sink,
    http: &reqwest::Client,
    sim: &cowin_sim::Simulator,
    store: &Store,
    n: usize,
) -> anyhow::Result<f64> {
    sink.reset();
    let close = serde_json::json!({"district_id": DISTRICT});
    control(http, &sim.root_url(), "close", close).await?;
    let within = Duration::from_secs(600);
    let done = sink.wait_for_recipients(n, within).await;
    anyhow::ensure!(
        done,
        "only {} of {n} follow-ups within {within:?}",
        sink.recipients()
    );
    let mut conn = crate::server::conn().await?;
    let uid: String = redis::cmd("GET")
        .arg(format!("{}email:user0@example.com", store.prefix()))
        .query_async(&mut conn)
        .await?;
    let feed = store
        .read_feed(&redis_hack_shared::UserId::parse(&uid)?, None, 10)
        .await?;
    let closed = feed
        .iter()
        .find(|e| e.kind == redis_hack_shared::FeedKind::SlotsClosed)
        .context("no slots.closed in the first subscriber's feed")?;
    Ok(sink.last_at_ms().saturating_sub(closed.timestamp.as_ms()) as f64 / 1000.0)
}

/// When the poller matched the opening for the subscriber with `email` (ms).
async fn detected_at(prefix: &str, email: &str) -> anyhow::Result<u64> {
    let mut conn = crate::server::conn().await?;
    let uid: String = redis::cmd("GET")
        .arg(format!("{prefix}email:{email}"))
        .query_async(&mut conn)
        .await?;
    let hist: std::collections::HashMap<String, u64> = redis::cmd("HGETALL")
        .arg(format!("{prefix}hist:{{{uid}}}"))
        .query_async(&mut conn)
        .await?;
    hist.iter()
        .find(|(k, _)| k.ends_with(":m"))
        .map(|(_, v)| *v)
        .context("the subscriber has no match recorded")
}

pub async fn wait_until<F, Fut>(within: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("timed out after {within:?}")
}
