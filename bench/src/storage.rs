//! Workload 4, storage: Redis memory per subscriber at growing sizes, broken
//! down per key type, and register latency at each size (it must stay flat).
//! Subscribers are verified users with one district subscription and one
//! device token, spread over 500 districts, created with the server's own
//! store calls; memory is `used_memory` above the empty store.

use crate::api::wrk_register_latency;
use crate::populate::{Channel, Plan, populate};
use crate::results::Figure;
use crate::server::{Server, flush, info_field, redis_url};
use crate::sink::Sink;
use anyhow::Context;
use redis_hack_server::store::Store;
use redis_hack_shared::Target;
use std::sync::Arc;

const PREFIX: &str = "rh:";
/// Issue 14's target per subscriber at 1M users (the stretch goal is the
/// seed's 440 B, every user in one JSON document).
const TARGET_BYTES: f64 = 600.0;

#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<usize>,
}

pub async fn run(args: StorageArgs) -> anyhow::Result<()> {
    flush().await?;
    let sink = Sink::start().await?;
    let sim = crate::sim_io::simulator().await?;
    let store = Store::connect(&redis_url()?, PREFIX).await?;
    let empty = used_memory().await?;
    let plan = |count| Plan {
        count,
        target: Arc::new(|n| Target::District {
            district_id: (1 + (n % 500) as u32).into(),
            district_name: "Patna".into(),
            state_name: "Bihar".into(),
        }),
        channel: Channel::Email,
        token: true,
    };
    let mut have = 0;
    for &size in &args.sizes {
        populate(&store, &plan(size - have), have).await?;
        have = size;
        let bytes = (used_memory().await? - empty) as f64 / size as f64;
        Figure::new(
            "storage",
            &format!("memory per subscriber at {size}"),
            "B",
            vec![bytes],
        )
        .at_most(TARGET_BYTES, "≤ 600 B (issue 14; the seed: 440)")
        .note("used_memory above the empty store / subscribers")
        .record()?;
        for (kind, per) in breakdown(size).await? {
            Figure::new(
                "storage",
                &format!("… of which {kind} at {size}"),
                "B",
                vec![per],
            )
            .record()?;
        }
        // Register against this many users (its codes expire; they are not counted above).
        let server = Server::start(
            "api",
            PREFIX,
            &[
                ("COWIN_API_URL", sim.base_url()),
                ("SMTP_URL", sink.url()),
                ("RATE_LIMIT_IP_PER_HOUR", "1000000000".into()),
            ],
        )
        .await?;
        let api = server.api.clone().context("the api role serves HTTP")?;
        let (p50, p99) = wrk_register_latency(&api, &format!("s{size}")).await?;
        server.stop().await;
        Figure::new(
            "storage",
            &format!("register p50 at {size} users"),
            "ms",
            vec![p50],
        )
        .note("wrk, 1 connection, 5 s")
        .record()?;
        Figure::new(
            "storage",
            &format!("register p99 at {size} users"),
            "ms",
            vec![p99],
        )
        .record()?;
    }
    Ok(())
}

async fn used_memory() -> anyhow::Result<i64> {
    Ok(info_field("memory", "used_memory").await?.parse()?)
}

/// Bytes per subscriber for each key type: `MEMORY USAGE` of a sample of keys
/// (every key for the shared ones: buckets and indexes), scaled to the
/// population.
async fn breakdown(users: usize) -> anyhow::Result<Vec<(String, f64)>> {
    let mut conn = crate::server::conn().await?;
    let mut out = Vec::new();
    for (kind, pattern, sample) in [
        ("user:{uid} (JSON, with its version)", "user:*", 300),
        ("tk:{B} (token lookup, every bucket)", "tk:*", 0),
        ("idx:{d:id}0..f (all 500 x 16 parts)", "idx:*", 0),
        ("targets", "targets", 0),
    ] {
        let mut keys: Vec<String> = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{PREFIX}{pattern}"))
                .arg("COUNT")
                .arg(10_000)
                .query_async(&mut conn)
                .await?;
            keys.extend(batch);
            cursor = next;
            if cursor == 0 || (sample > 0 && keys.len() >= sample) {
                break;
            }
        }
        if sample > 0 {
            keys.truncate(sample);
        }
        let mut total = 0u64;
        for key in &keys {
            let bytes: Option<u64> = redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(key)
                .arg("SAMPLES")
                .arg(0)
                .query_async(&mut conn)
                .await?;
            total += bytes.unwrap_or(0);
        }
        let per = if sample > 0 {
            total as f64 / keys.len().max(1) as f64
        } else {
            total as f64 / users as f64
        };
        out.push((kind.to_owned(), per));
    }
    Ok(out)
}
