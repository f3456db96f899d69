//! One fan-out run on one Redis or Redis Cluster: fill it with N subscribers
//! of one district, start the server (all roles), let it poll the district
//! once, open a session, and time detection to the last delivery; by email,
//! optionally close the session and time the `Gone:` follow-ups too.

use crate::populate::{Channel, Plan, populate};
use crate::receiver::Receiver;
use crate::server::{Server, flush_url};
use crate::sim_io::control;
use crate::sink::Sink;
use anyhow::Context;
use redis_hack_server::store::Store;
use redis_hack_shared::{EmailAddress, Target, UserId};
use std::sync::Arc;
use std::time::Duration;

pub const DISTRICT: u32 = 97; // Patna

/// What every run shares: the sink, the receiver, the simulator.
pub struct Rig {
    pub sink: Sink,
    pub receiver: Receiver,
    pub sim: cowin_sim::Simulator,
    pub http: reqwest::Client,
}

/// What one run measured.
pub struct Outcome {
    /// Detection to the last delivery, s.
    pub secs: f64,
    pub duplicates: u64,
    /// Filling Redis, s.
    pub fill: f64,
    /// Closing seen to the last follow-up, s (email runs that time them).
    pub gone: Option<f64>,
}

/// One run against `url`, under the key prefix `prefix`.
pub async fn one_run(
    rig: &Rig,
    url: &str,
    prefix: &str,
    n: usize,
    webhook: bool,
    concurrency: usize,
    follow: bool,
) -> anyhow::Result<Outcome> {
    flush_url(url).await?;
    let store = Store::connect(url, prefix).await?;
    let rec = rig.receiver.clone();
    let plan = Plan {
        count: n,
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
    let fill = populate(&store, &plan, 0).await?;
    let sim_root = rig.sim.root_url();
    let district = serde_json::json!({"district_id": DISTRICT});
    control(&rig.http, &sim_root, "close", district.clone()).await?;
    let c = concurrency.to_string();
    let server = Server::start(
        "all",
        prefix,
        &[
            ("REDIS_URL", url.to_owned()),
            ("COWIN_API_URL", rig.sim.base_url()),
            ("SMTP_URL", rig.sink.url()),
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
    rig.sink.reset();
    rig.receiver.reset();
    let open = serde_json::json!({"district_id": DISTRICT, "dose1": 50});
    control(&rig.http, &sim_root, "open", open).await?;
    let within = Duration::from_secs(600);
    let (done, last, delivered, distinct) = if webhook {
        let r = &rig.receiver;
        let done = r.wait_for_distinct(n, within).await;
        (done, r.last_at_ms(), r.received(), r.distinct())
    } else {
        let s = &rig.sink;
        let done = s.wait_for_recipients(n, within).await;
        (done, s.last_at_ms(), s.accepted(), s.recipients())
    };
    let gone = match (done, follow) {
        (true, true) => Some(follow_ups(rig, &store, n).await),
        _ => None,
    };
    server.stop().await;
    anyhow::ensure!(
        done,
        "only {distinct} of {n} subscribers got the alert within {within:?}"
    );
    let gone = gone.transpose().context("the follow-ups")?;
    let detected = detected_at(&store).await?;
    Ok(Outcome {
        secs: last.saturating_sub(detected) as f64 / 1000.0,
        duplicates: delivered - distinct as u64,
        fill,
        gone,
    })
}

/// The uid of subscriber 0 (`user0@example.com`), as the store finds it.
async fn first_user(store: &Store) -> anyhow::Result<UserId> {
    let email = EmailAddress::parse("user0@example.com")?;
    store
        .uid_by_email(&email)
        .await?
        .context("user0@example.com was not among the subscribers")
}

/// Closes the district once every subscriber has the alert, and times the
/// `Gone:` follow-ups: from the poll that saw it closed (the `slots.closed`
/// event in the first subscriber's feed) to the last one the sink accepted.
async fn follow_ups(rig: &Rig, store: &Store, n: usize) -> anyhow::Result<f64> {
    rig.sink.reset();
    let close = serde_json::json!({"district_id": DISTRICT});
    control(&rig.http, &rig.sim.root_url(), "close", close).await?;
    let within = Duration::from_secs(600);
    let done = rig.sink.wait_for_recipients(n, within).await;
    anyhow::ensure!(
        done,
        "only {} of {n} follow-ups within {within:?}",
        rig.sink.recipients()
    );
    let feed = store.read_feed(&first_user(store).await?, None, 10).await?;
    let closed = feed
        .iter()
        .find(|e| e.kind == redis_hack_shared::FeedKind::SlotsClosed)
        .context("no slots.closed in the first subscriber's feed")?;
    Ok(rig
        .sink
        .last_at_ms()
        .saturating_sub(closed.timestamp.as_ms()) as f64
        / 1000.0)
}

/// When the poller matched the opening for subscriber 0 (ms).
async fn detected_at(store: &Store) -> anyhow::Result<u64> {
    let (_, history) = store.user_and_history(&first_user(store).await?).await?;
    history
        .values()
        .find_map(|m| m.matched)
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
