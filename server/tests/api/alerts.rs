//! The alert queue and email worker against real Redis and the real SMTP
//! server: delivery, an SMTP outage, a dead worker's pending job, and dead
//! letters, each shown to lose nothing.

use crate::helpers::{TestApp, env_or_explain, spawn_app, unique_email};
use redis_hack_server::Settings;
use redis_hack_server::alerts::Worker;
use redis_hack_server::delivery::AlertJob;
use redis_hack_server::store::{Queue, Store};
use redis_hack_server::workers::delivery_workers;
use redis_hack_shared::{FeeType, Session, SubscriptionId, TargetKey, UserId};
use std::time::Duration;

pub const NO_WAIT: Duration = Duration::from_millis(10);

/// Retry settings: how many attempts, and the back-off.
pub type Policy = Vec<(&'static str, &'static str)>;

pub async fn worker(app: &TestApp, name: &str, smtp_url: &str, policy: Policy) -> Worker {
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let settings = Settings::from_vars(|k| match k {
        "SMTP_URL" => Some(smtp_url.to_owned()),
        _ => policy
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string()),
    })
    .unwrap();
    delivery_workers(&store, &settings, name).await.unwrap().0
}

pub fn quick_policy() -> Policy {
    vec![
        ("RETRY_ATTEMPTS", "3"),
        ("RETRY_BASE", "10ms"),
        ("RETRY_MAX", "10ms"),
    ]
}

const SMTP_DOWN: &str = "smtp://127.0.0.1:9";

/// A verified user and an alert job for their registered district.
pub async fn user_with_job(app: &TestApp) -> (String, AlertJob) {
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let subs = crate::subscriptions::list(app, &token).await;
    let uid = crate::feed::uid_of(app, &email).await.to_string();
    let session = Session {
        session_id: "5a1e".into(),
        center_id: 561,
        center_name: "PHC Danapur".into(),
        address: "Main Road".into(),
        pincode: "801503".into(),
        district_id: 97.into(),
        date: "01-06-2031".into(),
        vaccine: "COVAXIN".into(),
        min_age: 18,
        max_age: None,
        capacity: 12,
        capacity_dose1: 10,
        capacity_dose2: 2,
        fee_type: FeeType::Free,
        fee: None,
        slots: vec!["09:00AM-11:00AM".into()],
    };
    let job = AlertJob {
        id: AlertJob::new_id(),
        openings: vec![],
        routed: false,
        uid: UserId::parse(&uid).unwrap(),
        target: TargetKey::parse("d:97").unwrap(),
        sids: vec![serde_json::from_value(subs["subscriptions"][0]["id"].clone()).unwrap()],
        sessions: vec![session],
        fetched_at_ms: 1_900_000_000_000,
        upstream_date: None,
        detected_at_ms: 1_900_000_000_500,
        attempt: 0,
        follows: None,
        digest: None,
    };
    (email, job)
}

pub async fn enqueue(w: &Worker, job: &AlertJob) {
    w.store.ensure_group(Queue::Email).await.unwrap();
    w.store
        .enqueue(Queue::Email, &job.uid, &serde_json::to_string(job).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_alert_reaches_the_inbox_with_the_session_details_and_leaves_the_queue() {
    let app = spawn_app().await;
    let (email, job) = user_with_job(&app).await;
    let w = worker(&app, "w1", &env_or_explain("TEST_SMTP_URL"), quick_policy()).await;
    enqueue(&w, &job).await;
    let pass = w.run_once(NO_WAIT).await.unwrap();
    assert_eq!(pass.delivered, 1);
    let msgs = app.mail.wait_for(&email, 2).await; // the code, then the alert
    let alert = msgs.last().unwrap();
    assert!(
        alert["subject"].as_str().unwrap().contains("Patna"),
        "{}",
        alert["subject"]
    );
    let text = alert["text"].as_str().unwrap();
    for needle in [
        "PHC Danapur",
        "801503",
        "01-06-2031",
        "COVAXIN",
        "dose 1: 10",
        "dose 2: 2",
        "09:00AM-11:00AM",
        "selfregistration.cowin.gov.in",
    ] {
        assert!(text.contains(needle), "missing {needle} in {text}");
    }
    assert_eq!(waiting(&w.store).await, (0, 0), "acknowledged and gone");
}

#[tokio::test]
async fn an_smtp_outage_delays_an_alert_but_does_not_lose_it() {
    let app = spawn_app().await;
    let (email, job) = user_with_job(&app).await;
    let down = worker(&app, "w-down", SMTP_DOWN, quick_policy()).await;
    enqueue(&down, &job).await;
    let pass = down.run_once(NO_WAIT).await.unwrap();
    assert_eq!((pass.delivered, pass.retried), (0, 1));
    assert_eq!(waiting(&down.store).await, (0, 1), "parked for a retry");
    assert_eq!(
        app.mail.messages_to(&email).await.len(),
        1,
        "only the code so far"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let up = worker(
        &app,
        "w-up",
        &env_or_explain("TEST_SMTP_URL"),
        quick_policy(),
    )
    .await;
    assert_eq!(up.run_once(NO_WAIT).await.unwrap().delivered, 1);
    assert_eq!(app.mail.wait_for(&email, 2).await.len(), 2);
}

#[tokio::test]
async fn a_job_left_pending_by_a_dead_worker_is_taken_over() {
    let app = spawn_app().await;
    let (email, job) = user_with_job(&app).await;
    let mut live_policy = quick_policy();
    live_policy.push(("QUEUE_RECLAIM_IDLE", "0ms"));
    let live = worker(&app, "live", &env_or_explain("TEST_SMTP_URL"), live_policy).await;
    enqueue(&live, &job).await;
    // "dead" reads the job and dies before acknowledging it.
    let taken = live
        .store
        .read_jobs(Queue::Email, "dead", 10, NO_WAIT)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(live.run_once(NO_WAIT).await.unwrap().delivered, 1);
    assert_eq!(app.mail.wait_for(&email, 2).await.len(), 2);
    assert_eq!(waiting(&live.store).await, (0, 0));
}

#[tokio::test]
async fn a_job_out_of_attempts_is_dead_lettered_and_can_be_replayed() {
    let app = spawn_app().await;
    let (email, job) = user_with_job(&app).await;
    let down = worker(&app, "w-down", SMTP_DOWN, vec![("RETRY_ATTEMPTS", "1")]).await;
    enqueue(&down, &job).await;
    assert_eq!(down.run_once(NO_WAIT).await.unwrap().dead, 1);
    let dead = down.store.dead_jobs(Queue::Email, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    let (id, error) = (&dead[0].id.to_string(), &dead[0].error);
    assert!(!error.is_empty(), "the last error is kept for the operator");
    let listed = redis_hack_server::ops::dead_letters(&down.store)
        .await
        .unwrap();
    assert!(
        listed[0].starts_with(id.as_str()) && listed[0].contains("after 1 attempt"),
        "{listed:?}"
    );
    assert!(
        !redis_hack_server::ops::replay(&down.store, "0-1")
            .await
            .unwrap(),
        "no such dead letter"
    );
    assert!(
        redis_hack_server::ops::replay(&down.store, id)
            .await
            .unwrap()
    );
    let up = worker(
        &app,
        "w-up",
        &env_or_explain("TEST_SMTP_URL"),
        quick_policy(),
    )
    .await;
    assert_eq!(up.run_once(NO_WAIT).await.unwrap().delivered, 1);
    assert_eq!(app.mail.wait_for(&email, 2).await.len(), 2);
    assert!(
        up.store
            .dead_jobs(Queue::Email, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_alert_for_a_subscription_removed_since_detection_is_dropped() {
    let app = spawn_app().await;
    let (email, mut job) = user_with_job(&app).await;
    job.sids = vec![SubscriptionId::parse("sgone0000").unwrap()];
    let w = worker(&app, "w1", &env_or_explain("TEST_SMTP_URL"), quick_policy()).await;
    enqueue(&w, &job).await;
    assert_eq!(w.run_once(NO_WAIT).await.unwrap().dropped, 1);
    assert_eq!(
        app.mail.messages_to(&email).await.len(),
        1,
        "no alert after unsubscribing"
    );
}

/// Email jobs on the stream and parked for a retry.
async fn waiting(store: &redis_hack_server::store::Store) -> (u64, u64) {
    let depth = store.queue_depth(Queue::Email).await.unwrap();
    (depth.queued, depth.retrying)
}
