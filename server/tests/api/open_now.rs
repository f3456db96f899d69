//! Open right now (issue 12 point 1): subscribing while a session of the
//! target is open answers it in `open_now` and alerts at once, exactly once,
//! and the poller does not announce it again. Also the helpers the other
//! tests of an alert's life use (`once`, `followup`).

use crate::helpers::{TestApp, spawn_app, unique_email};
use crate::simulated::pipeline;
use redis_hack_server::store::now_ms;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

pub const NO_WAIT: Duration = Duration::from_millis(10);
/// Longer than the shortest poll interval, so each step's poll is due.
pub const STEP: u64 = 70_000;

/// A verified user with no subscription yet: `(email, token)`.
pub async fn bare_user(app: &TestApp) -> (String, String) {
    let email = unique_email();
    let r = app.post("/v1/register", &json!({ "email": email })).await;
    assert_eq!(r.status(), 202);
    let code = app.mail.code_for(&email).await;
    let r = app
        .post("/v1/verify", &json!({"email": email, "code": code}))
        .await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (email, token)
}

/// `POST /v1/subscriptions` with `body`; the 201 answer.
pub async fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app
        .authed(Method::POST, "/v1/subscriptions", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// Opens Patna's first session in the simulator with `dose1` slots.
pub async fn open_patna(app: &TestApp, dose1: u32) -> Value {
    let r = app
        .http
        .post(format!("{}/control/open", app.sim.root_url()))
        .json(&json!({"district_id": 97, "dose1": dose1}))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

/// Closes every session of Patna in the simulator.
pub async fn close_patna(app: &TestApp) {
    let r = app
        .http
        .post(format!("{}/control/close", app.sim.root_url()))
        .json(&json!({"district_id": 97}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

/// The subjects of the messages to `email` (the code's first).
pub async fn subjects(app: &TestApp, email: &str) -> Vec<String> {
    app.mail
        .messages_to(email)
        .await
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// How many alerts (subjects starting `Slots open`) reached `email`.
pub async fn alerts_to(app: &TestApp, email: &str) -> usize {
    let all = subjects(app, email).await;
    all.iter().filter(|s| s.starts_with("Slots open")).count()
}

#[tokio::test]
async fn subscribing_while_patna_is_open_alerts_at_once_and_exactly_once() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (_, first) = bare_user(&app).await;
    let made = subscribe(&app, &first, json!({"district_id": 97})).await;
    assert_eq!(
        made["open_now"],
        json!([]),
        "never polled: nothing known yet"
    );
    let opened = open_patna(&app, 7).await;
    let now = now_ms();
    assert_eq!(poller.poll_once(now).await.unwrap().alerts_queued, 1);

    let (email, token) = bare_user(&app).await;
    let made = subscribe(
        &app,
        &token,
        json!({"district_id": 97, "filters": {"min_capacity": 5}}),
    )
    .await;
    let open = made["open_now"].as_array().expect("open_now is a list");
    assert_eq!(open.len(), 1, "{made}");
    assert_eq!(open[0]["session_id"], opened["session"]["session_id"]);
    assert_eq!(open[0]["center_name"], opened["center"]);
    assert!(
        made["history"]["last_poll_at"].is_string(),
        "checked when: {made}"
    );
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    assert_eq!(
        alerts_to(&app, &email).await,
        1,
        "alerted at once, no poll needed"
    );

    // More slots in the same session: a fresh calendar, and still no repeat.
    open_patna(&app, 9).await;
    let round = poller.poll_once(now + STEP).await.unwrap();
    assert_eq!((round.fetched, round.alerts_queued), (1, 0), "{round:?}");
    emails.run_once(NO_WAIT).await.unwrap();
    assert_eq!(alerts_to(&app, &email).await, 1, "exactly once");

    // Too few slots for the filters: nothing open right now, nothing sent.
    let (quiet, token) = bare_user(&app).await;
    let made = subscribe(
        &app,
        &token,
        json!({"district_id": 97, "filters": {"min_capacity": 50}}),
    )
    .await;
    assert_eq!(made["open_now"], json!([]));
    emails.run_once(NO_WAIT).await.unwrap();
    assert_eq!(subjects(&app, &quiet).await.len(), 1, "only the code");
}

#[tokio::test]
async fn verify_answers_what_is_open_in_the_registered_district() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (_, token) = bare_user(&app).await;
    subscribe(&app, &token, json!({"district_id": 97})).await;
    let opened = open_patna(&app, 4).await;
    poller.poll_once(now_ms()).await.unwrap();
    let email = unique_email();
    let code = app.requested_code(&email).await; // registers Patna
    let r = app
        .post("/v1/verify", &json!({"email": email, "code": code}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let open = &body["subscriptions"][0]["open_now"];
    assert_eq!(
        open[0]["session_id"], opened["session"]["session_id"],
        "{body}"
    );
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    assert_eq!(alerts_to(&app, &email).await, 1);
}

#[tokio::test]
async fn a_district_never_polled_is_polled_first_in_the_next_round() {
    let app = spawn_app().await;
    let budget = [("POLL_BUDGET", "1/300s")];
    let (poller, _, _) = pipeline(&app.prefix, &app.sim.base_url(), &budget).await;
    for _ in 0..5 {
        let email = unique_email();
        crate::helpers::subscriber(&poller.store, &email, crate::helpers::district(93)).await;
    }
    let (_, token) = bare_user(&app).await;
    subscribe(&app, &token, json!({"district_id": 97})).await;
    let round = poller.poll_once(now_ms()).await.unwrap();
    assert_eq!((round.fetched, round.deferred), (1, 1), "{round:?}");
    let polled: Vec<String> = app
        .sim
        .requests()
        .into_iter()
        .map(|(_, uri)| uri)
        .filter(|uri| uri.contains("calendarByDistrict"))
        .collect();
    assert!(
        polled[0].contains("district_id=97&"),
        "the new one, though lighter: {polled:?}"
    );
}
