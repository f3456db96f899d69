//! Workload 2, detection delay, in simulated time: the server's real poller
//! (`Poller::poll_once(now)`, its budget and claims in Redis, conditional GET
//! to the simulator) watches 500 districts whose subscriber counts follow a
//! Zipf law, under the default budget (100 calls per 5 minutes) and bounds
//! (60 s to 30 min). Openings happen at uniformly random simulated times in
//! uniformly random districts; an opening is detected when a poll queues its
//! alert. The subscriber-weighted mean and p95 delay are set next to the
//! optimum for the same budget and bounds, computed here in closed form.

use crate::optimum::{budget_violations, optimum, weighted};
use crate::populate::{Channel, Plan, populate};
use crate::results::Figure;
use crate::server::{flush, redis_url};
use crate::sim_io::{control, detected, district_ids, session_ids};
use rand::{Rng, SeedableRng};
use redis_hack_server::alerts::detect::Rules;
use redis_hack_server::poller::schedule::Budget;
use redis_hack_server::poller::{PollConfig, Poller};
use redis_hack_server::store::Store;
use redis_hack_server::upstream::CowinClient;
use redis_hack_shared::Target;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct DetectionArgs {
    #[arg(long, default_value_t = 500)]
    districts: usize,
    #[arg(long, default_value_t = 20_000)]
    subscribers: usize,
    /// Simulated hours (the first half hour only warms up).
    #[arg(long, default_value_t = 6.0)]
    hours: f64,
    #[arg(long, default_value_t = 1_500)]
    openings: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

const BUDGET: Budget = Budget {
    calls: 100,
    window: Duration::from_secs(300),
};
const MIN: Duration = Duration::from_secs(60);
const MAX: Duration = Duration::from_secs(1800);

struct Opening {
    at_ms: u64,
    district: u32,
    session: String,
    detected_ms: Option<u64>,
}

pub async fn run(args: DetectionArgs) -> anyhow::Result<()> {
    let sim = crate::sim_io::simulator().await?;
    let client = CowinClient::new(&sim.base_url())?;
    let http = reqwest::Client::new();
    let ids = district_ids(&client, args.districts).await?;
    // Zipf(1): the k-th district has weight ∝ 1/k; every district has at least one subscriber.
    let h: f64 = (1..=ids.len()).map(|k| 1.0 / k as f64).sum();
    let counts: Vec<usize> = (1..=ids.len())
        .map(|k| ((args.subscribers as f64 / (k as f64 * h)).round() as usize).max(1))
        .collect();
    let weights: Vec<f64> = counts.iter().map(|c| *c as f64).collect();
    let (opt_mean, opt_p95) = optimum(&weights, true);
    let (free_mean, _) = optimum(&weights, false);
    let (mut means, mut p95s, mut ratio, mut not_modified, mut violations) =
        (vec![], vec![], vec![], vec![], vec![]);
    for run in 0..args.runs {
        flush().await?;
        let store = Store::connect(&redis_url()?, "det:").await?;
        let owner: Vec<u32> = ids
            .iter()
            .zip(&counts)
            .flat_map(|(id, c)| std::iter::repeat_n(*id, *c))
            .collect();
        let owner = Arc::new(owner);
        let plan = Plan {
            count: owner.len(),
            target: Arc::new(move |n| Target::District {
                district_id: owner[n].into(),
                district_name: "D".into(),
                state_name: "S".into(),
            }),
            channel: Channel::Email,
            token: false,
        };
        populate(&store, &plan, 0).await?;
        let mut sessions: HashMap<u32, Vec<String>> = HashMap::new();
        for &id in &ids {
            control(
                &http,
                &sim.root_url(),
                "close",
                serde_json::json!({"district_id": id}),
            )
            .await?;
            sessions.insert(id, session_ids(&http, &sim.base_url(), id).await?);
        }
        // Half past midnight in India today, so the simulated hours stay on one calendar day.
        let ist = 19_800_000;
        let start =
            (redis_hack_server::store::now_ms() + ist) / 86_400_000 * 86_400_000 - ist + 1_800_000;
        let end = start + (args.hours * 3_600_000.0) as u64;
        let warm = start + 1_800_000;
        // Openings stop 1.5 × the longest interval before the end: a district
        // polled every 30 min (±10% jitter, plus waits for the budget) must
        // still get one more poll to see the last of them.
        let last_opening = end - MAX.as_millis() as u64 * 3 / 2;
        let mut rng = rand::rngs::StdRng::seed_from_u64(run as u64);
        let mut openings: Vec<Opening> = (0..args.openings)
            .map(|_| {
                let district = ids[rng.random_range(0..ids.len())];
                let pool = sessions
                    .get_mut(&district)
                    .expect("every district has sessions");
                let session = pool.pop().unwrap_or_default();
                Opening {
                    at_ms: rng.random_range(warm..last_opening),
                    district,
                    session,
                    detected_ms: None,
                }
            })
            .filter(|o| !o.session.is_empty())
            .collect();
        openings.sort_by_key(|o| o.at_ms);
        let poller = Poller {
            store: store.clone(),
            client: client.clone(),
            config: PollConfig {
                budget: BUDGET,
                min_interval: MIN,
                max_interval: MAX,
                rules: Rules {
                    margin: 2,
                    realert: Duration::from_secs(600),
                },
                followup_window: redis_hack_server::poller::FOLLOWUP_WINDOW,
            },
            id: "bench".into(),
        };
        let mut calls: Vec<u64> = Vec::new();
        let (mut total_calls, mut total_304) = (0usize, 0usize);
        let mut next_open = 0;
        let mut now = start;
        while now < end {
            while next_open < openings.len() && openings[next_open].at_ms <= now {
                let o = &openings[next_open];
                let body = serde_json::json!({"district_id": o.district, "session_id": o.session, "dose1": 10});
                control(&http, &sim.root_url(), "open", body).await?;
                next_open += 1;
            }
            let round = poller.poll_once(now).await?;
            let n = round.fetched + round.not_modified + round.errors + round.rate_limited;
            calls.extend(std::iter::repeat_n(now, n));
            total_calls += n;
            total_304 += round.not_modified;
            if round.alerts_queued > 0 {
                for (session, at) in detected(store.queue_partitions()).await? {
                    for o in openings
                        .iter_mut()
                        .filter(|o| o.session == session && o.detected_ms.is_none())
                    {
                        o.detected_ms = Some(at);
                    }
                }
            }
            now += 1000;
        }
        if std::env::var("BENCH_DEBUG").is_ok() {
            let log = sim.requests();
            for id in ids.iter().take(6).chain(ids.iter().skip(300).take(3)) {
                let n = log
                    .iter()
                    .filter(|(_, u)| u.contains(&format!("district_id={id}&")))
                    .count();
                let target = redis_hack_shared::TargetKey::District((*id).into());
                let every = store
                    .poll_state(&target)
                    .await?
                    .every_secs
                    .unwrap_or_default();
                println!(
                    "district {id}: {n} polls in {} h, planned every {every} s",
                    args.hours
                );
            }
        }
        let missed = openings.iter().filter(|o| o.detected_ms.is_none()).count();
        anyhow::ensure!(
            missed == 0,
            "run {run}: {missed} of {} openings were never detected",
            openings.len()
        );
        let weight: HashMap<u32, f64> = ids.iter().copied().zip(weights.iter().copied()).collect();
        let delays: Vec<(f64, f64)> = openings
            .iter()
            .map(|o| {
                (
                    (o.detected_ms.unwrap_or(0) - o.at_ms) as f64 / 1000.0,
                    weight[&o.district],
                )
            })
            .collect();
        let (mean, p95) = weighted(&delays);
        println!(
            "run {run}: weighted mean {mean:.1} s, p95 {p95:.1} s (optimum {opt_mean:.1} s / {opt_p95:.1} s), {total_calls} calls"
        );
        means.push(mean);
        p95s.push(p95);
        ratio.push(mean / opt_mean);
        not_modified.push(total_304 as f64 / total_calls.max(1) as f64 * 100.0);
        violations.push(budget_violations(&calls) as f64);
    }
    let w = "detection";
    let ctx = format!(
        "{} districts (Zipf), {} subscribers, {} openings in {} simulated h",
        ids.len(),
        args.subscribers,
        args.openings,
        args.hours
    );
    Figure::new(w, "subscriber-weighted mean delay", "s", means)
        .note(format!("optimum for the budget and the 60 s – 30 min bounds: {opt_mean:.1} s; without bounds: {free_mean:.1} s; {ctx}"))
        .record()?;
    Figure::new(w, "subscriber-weighted p95 delay", "s", p95s)
        .note(format!("optimum: {opt_p95:.1} s"))
        .record()?;
    Figure::new(w, "mean delay / optimum", "×", ratio)
        .at_most(1.10, "≤ 1.10")
        .record()?;
    Figure::new(
        w,
        "budget violations (windows over 100 calls)",
        "",
        violations,
    )
    .at_most(0.0, "0")
    .record()?;
    Figure::new(w, "polls answered 304", "%", not_modified)
        .note("the simulator sends ETag and Last-Modified")
        .record()
}
