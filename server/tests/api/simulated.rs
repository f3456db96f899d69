//! The whole alert path against the CoWIN simulator over real HTTP: the
//! simulator opens a slot, the poller sees it, the worker mails it; the
//! simulator's per-client limit (403 + Retry-After) makes the poller back off.

use crate::helpers::{env_or_explain, spawn_app, unique_email};
use redis_hack_server::Settings;
use redis_hack_server::alerts::Worker;
use redis_hack_server::poller::{PollConfig, Poller};
use redis_hack_server::store::{Store, now_ms};
use redis_hack_server::upstream::CowinClient;
use redis_hack_server::webhook::WebhookWorker;
use redis_hack_server::workers::delivery_workers;
use serde_json::json;
use std::time::Duration;

async fn parts(prefix: &str, base_url: &str) -> (Poller, Worker) {
    let (poller, worker, _) = pipeline(prefix, base_url, &[]).await;
    (poller, worker)
}

/// A poller of `base_url` and both delivery workers on the keys of `prefix`,
/// with `extra` settings (e.g. `WEBHOOK_ALLOW_PRIVATE` for a local receiver).
pub async fn pipeline(
    prefix: &str,
    base_url: &str,
    extra: &[(&str, &str)],
) -> (Poller, Worker, WebhookWorker) {
    let smtp = env_or_explain("TEST_SMTP_URL");
    let settings = Settings::from_vars(|k| match k {
        "SMTP_URL" => Some(smtp.clone()),
        _ => extra
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string()),
    })
    .unwrap();
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), prefix)
        .await
        .unwrap();
    let config: PollConfig = settings.poll;
    let poller = Poller {
        store: store.clone(),
        client: CowinClient::new(base_url).unwrap(),
        config,
        id: "p".into(),
    };
    let (worker, webhooks) = delivery_workers(&store, &settings, "w").await.unwrap();
    (poller, worker, webhooks)
}

#[tokio::test]
async fn a_slot_the_simulator_opens_reaches_the_inbox() {
    let app = spawn_app().await;
    let email = unique_email();
    app.signed_up(&email).await; // watches Patna (97)
    let (poller, worker) = parts(&app.prefix, &app.sim.base_url()).await;
    let now = now_ms();
    assert_eq!(
        poller.poll_once(now).await.unwrap().alerts_queued,
        0,
        "everything starts closed"
    );
    let opened: serde_json::Value = app
        .http
        .post(format!("{}/control/open", app.sim.root_url()))
        .json(&json!({"district_id": 97, "dose1": 7, "dose2": 2}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let round = poller.poll_once(now + 70_000).await.unwrap();
    assert_eq!((round.fetched, round.alerts_queued), (1, 1), "{round:?}");
    assert_eq!(
        worker
            .run_once(Duration::from_millis(10))
            .await
            .unwrap()
            .delivered,
        1
    );
    let msgs = app.mail.wait_for(&email, 2).await;
    let text = msgs.last().unwrap()["text"].as_str().unwrap().to_owned();
    let centre = opened["center"].as_str().unwrap();
    assert!(
        text.contains(centre) && text.contains("dose 1: 7"),
        "{text}"
    );
    let round = poller.poll_once(now + 140_000).await.unwrap();
    assert_eq!(
        (round.not_modified, round.alerts_queued),
        (1, 0),
        "unchanged: a 304 and no repeat: {round:?}"
    );
}

#[tokio::test]
async fn the_simulators_rate_limit_makes_the_poller_back_off() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limited = cowin_sim::Sim::new(1, Some((1, Duration::from_secs(300))));
    let sim = cowin_sim::Simulator::start_with(listener, limited).await;
    let app = spawn_app().await;
    app.signed_up(&unique_email()).await;
    let (poller, _) = parts(&app.prefix, &sim.base_url()).await;
    let now = now_ms();
    assert_eq!(poller.poll_once(now).await.unwrap().fetched, 1);
    let round = poller.poll_once(now + 70_000).await.unwrap();
    assert_eq!(
        (round.rate_limited, round.deferred),
        (1, 1),
        "the second call in 5 minutes is refused: {round:?}"
    );
    let calls = sim.request_count();
    poller.poll_once(now + 140_000).await.unwrap();
    assert_eq!(
        sim.request_count(),
        calls,
        "and the poller waits out Retry-After"
    );
}

#[tokio::test]
async fn injected_faults_are_counted_and_polling_recovers() {
    let app = spawn_app().await;
    app.signed_up(&unique_email()).await;
    let (poller, _) = parts(&app.prefix, &app.sim.base_url()).await;
    let faults = |body: serde_json::Value| {
        app.http
            .post(format!("{}/control/faults", app.sim.root_url()))
            .json(&body)
            .send()
    };
    let now = now_ms();
    for (i, fault) in [json!({"status": 500}), json!({"malformed": true})]
        .into_iter()
        .enumerate()
    {
        assert_eq!(faults(fault).await.unwrap().status(), 204);
        let round = poller.poll_once(now + i as u64 * 2_000_000).await.unwrap();
        assert_eq!((round.errors, round.fetched), (1, 0), "{round:?}");
    }
    faults(json!({})).await.unwrap();
    let round = poller.poll_once(now + 4_000_000).await.unwrap();
    assert_eq!(
        (round.errors, round.fetched),
        (0, 1),
        "healthy again: {round:?}"
    );
}

/// The pincode the README's "A session" subscribes to (`subscribe --pincode N`).
fn readme_pincode() -> String {
    let readme = include_str!("../../../README.md");
    let session = readme
        .split("## A session")
        .nth(1)
        .expect("the README has a section \"## A session\"");
    let at = session
        .find("subscribe --pincode ")
        .expect("the README's session subscribes to a pincode")
        + "subscribe --pincode ".len();
    session[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

#[tokio::test]
async fn the_readmes_pincode_subscription_alerts_when_the_demo_opens_patna() {
    let pin = readme_pincode();
    assert_eq!(pin.len(), 6, "the README names a 6-digit pincode: {pin}");
    // The dev stack's simulator: SIM_AUTO_OPEN=97:45, here every second.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let world = cowin_sim::Sim::new(1, None);
    let sim = cowin_sim::Simulator::start_with(listener, world.clone()).await;
    let auto_open = tokio::spawn(cowin_sim::auto_open(world, 97, Duration::from_secs(1)));
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    // The README's line: subscribe --pincode N --age 18 --dose 1 --fee free.
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"pincode": pin, "filters": {"age": 18, "dose": 1, "fee": "free"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let (poller, worker) = parts(&app.prefix, &sim.base_url()).await;
    let mut now = now_ms();
    let mut queued = 0;
    // Bounded: the first opening comes after a second; allow ten.
    for _ in 0..20 {
        queued += poller.poll_once(now).await.unwrap().alerts_queued;
        if queued >= 2 {
            break;
        }
        now += 70_000;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    auto_open.abort();
    assert_eq!(queued, 2, "one alert for Patna, one for pincode {pin}");
    let mut delivered = 0;
    for _ in 0..10 {
        delivered += worker
            .run_once(Duration::from_millis(100))
            .await
            .unwrap()
            .delivered;
        if delivered >= 2 {
            break;
        }
    }
    assert_eq!(delivered, 2);
    let msgs = app.mail.wait_for(&email, 3).await;
    let subject = format!("pincode {pin}");
    let alert = msgs
        .iter()
        .find(|m| m["subject"].as_str().unwrap_or("").contains(&subject))
        .unwrap_or_else(|| panic!("no alert mail about {subject}: {msgs:#?}"));
    assert!(
        alert["text"]
            .as_str()
            .unwrap()
            .contains(&format!(", {pin}\n")),
        "the alert names the centre's pincode: {}",
        alert["text"]
    );
}
