//! Issue 14's distribution check: 30,000 people sign up through the API
//! (register with a district, then verify with the emailed code), spread
//! over 200 districts, on the 3-master cluster of `TEST_CLUSTER_URL`; then
//! every master must hold between 20% and 47% of the project's keys and of
//! their memory (`MEMORY USAGE`), and the alert queues' partitions must sit
//! on all three masters.

use crate::census::census;
use crate::sink::SmtpSink;
use crate::{env_or_explain, first_port, hex, start_server};
use futures_util::StreamExt;
use redis_hack_server::app::Roles;
use redis_hack_server::store::Store;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PEOPLE: usize = 30_000;
const DISTRICTS: usize = 200;
/// Sign-ups in flight at once.
const AT_ONCE: usize = 64;
const SNAPSHOT: &str = include_str!("../../../data/cowin-locations.json");

/// The first `n` district ids of the CoWIN snapshot the simulator serves.
fn district_ids(n: usize) -> Vec<u64> {
    let snapshot: Value = serde_json::from_str(SNAPSHOT).expect("the locations snapshot is JSON");
    let states = snapshot["states"].as_array().expect("states");
    let ids: Vec<u64> = states
        .iter()
        .flat_map(|s| s["districts"].as_array().expect("districts").iter())
        .filter_map(|d| d["district_id"].as_u64())
        .take(n)
        .collect();
    assert_eq!(ids.len(), n, "the snapshot has {n} districts");
    ids
}

/// Register, read the code at the sink, verify: one person signed up.
pub async fn sign_up(
    http: &reqwest::Client,
    api: &str,
    sink: &SmtpSink,
    email: &str,
    district: u64,
) -> Result<(), String> {
    let body = json!({"email": email, "district_id": district});
    let r = http
        .post(format!("{api}/v1/register"))
        .json(&body)
        .send()
        .await;
    let r = r.map_err(|e| format!("register {email}: {e}"))?;
    if r.status() != 202 {
        return Err(format!(
            "register {email}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ));
    }
    // The server answers once the SMTP server took the code; allow a moment anyway.
    let mut code = sink.code_for(email);
    for _ in 0..50 {
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        code = sink.code_for(email);
    }
    let code = code.ok_or_else(|| format!("no code reached the sink for {email}"))?;
    let body = json!({"email": email, "code": code});
    let r = http
        .post(format!("{api}/v1/verify"))
        .json(&body)
        .send()
        .await;
    let r = r.map_err(|e| format!("verify {email}: {e}"))?;
    if r.status() != 200 {
        return Err(format!(
            "verify {email}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ));
    }
    Ok(())
}

fn share(part: u64, total: u64) -> f64 {
    100.0 * part as f64 / total.max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_thousand_subscribers_spread_over_the_three_masters() {
    let url = env_or_explain("TEST_CLUSTER_URL");
    let prefix = format!("test:{}:", hex(6));
    let sim =
        cowin_sim::Simulator::start(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
            .await;
    let sink = SmtpSink::start().await;
    let roles = Roles {
        api: true,
        poller: false,
        worker: true, // creates the queues' streams and consumer groups
    };
    let server = start_server(
        &url,
        &prefix,
        roles,
        &[
            ("COWIN_API_URL", sim.base_url()),
            ("SMTP_URL", sink.url()),
            ("SMTP_POOL_SIZE", AT_ONCE.to_string()),
            ("RATE_LIMIT_IP_PER_HOUR", "1000000000".into()),
            ("VERIFY_LIMIT_IP_PER_HOUR", "1000000000".into()),
        ],
    )
    .await;
    let districts = district_ids(DISTRICTS);
    let http = reqwest::Client::new();
    let started = Instant::now();
    let tag = hex(3);
    let failures: Vec<String> = futures_util::stream::iter(0..PEOPLE)
        .map(|i| {
            let (http, api, sink) = (&http, &server.base_url, &sink);
            let email = format!("spread-{tag}-{i}@example.com");
            let district = districts[i % DISTRICTS];
            async move { sign_up(http, api, sink, &email, district).await.err() }
        })
        .buffer_unordered(AT_ONCE)
        .filter_map(|e| async move { e })
        .collect()
        .await;
    let took = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} of {PEOPLE} sign-ups failed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    eprintln!(
        "MEASURED distribution: {PEOPLE} sign-ups (register + verify) over {DISTRICTS} districts in {:.1} s ({:.0}/s)",
        took.as_secs_f64(),
        PEOPLE as f64 / took.as_secs_f64()
    );

    // The prefix the store really writes under (today's layout wraps it in a hash tag).
    let store = Store::connect(&url, &prefix)
        .await
        .expect("connect to TEST_CLUSTER_URL");
    let held = census(first_port(&url), store.prefix()).await;
    let keys: u64 = held.iter().map(|(_, h)| h.keys).sum();
    let bytes: u64 = held.iter().map(|(_, h)| h.bytes).sum();
    let mut report = format!(
        "under '{}' on {} masters: {keys} keys, {bytes} bytes (MEMORY USAGE)\n",
        store.prefix(),
        held.len()
    );
    for (m, h) in &held {
        report.push_str(&format!(
            "  master 127.0.0.1:{} ({} slots): {} keys ({:.1}%), {} bytes ({:.1}%), queue partitions {}: {:?}\n",
            m.port,
            m.slots,
            h.keys,
            share(h.keys, keys),
            h.bytes,
            share(h.bytes, bytes),
            h.queues.len(),
            h.queues
        ));
    }
    eprintln!("MEASURED distribution {report}");
    assert_eq!(held.len(), 3, "TEST_CLUSTER_URL has 3 masters; {report}");
    for (m, h) in &held {
        let (k, b) = (share(h.keys, keys), share(h.bytes, bytes));
        assert!(
            (20.0..=47.0).contains(&k) && (20.0..=47.0).contains(&b),
            "master 127.0.0.1:{} holds {k:.1}% of the keys and {b:.1}% of the memory, outside 20%-47%: the layout does not spread; {report}",
            m.port
        );
        assert!(
            !h.queues.is_empty(),
            "master 127.0.0.1:{} holds no queue partition: the queues do not spread; {report}",
            m.port
        );
    }
}
