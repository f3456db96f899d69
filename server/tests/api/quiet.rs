//! Quiet hours end to end, with the simulator, the poller, both workers and
//! the digest step driven by hand (the clock injected, so nobody waits for
//! a window to end): an opening inside the window is held (`held` in the
//! list, no email), a held session that closes meanwhile is left out, and
//! the window's end sends one digest email saying so and one webhook event
//! per held alert, with every time as RFC 3339. Unsubscribing forgets
//! what was held for it. Bad windows and zones are 422s naming the field.

use crate::alert_email::ist;
use crate::alerts::user_with_job;
use crate::helpers::{
    API_AND_WORKERS, TestApp, env_or_explain, error_of, spawn_app, spawn_app_with_roles,
    unique_email,
};
use crate::receiver::Receiver;
use crate::simulated::pipeline;
use crate::subscriptions::list;
use redis_hack_server::alerts::Digests;
use redis_hack_server::store::{Store, now_ms};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_millis(10);

/// A window on an Indian clock (UTC+05:30) that covers `now_ms` for at
/// least a minute, and when it ends (ms).
pub(crate) fn window_covering(now_ms: u64) -> (String, u64) {
    let minute = now_ms / 60_000;
    let hm = |m: u64| {
        let local = (m + 330) % 1440;
        format!("{:02}:{:02}", local / 60, local % 60)
    };
    (
        format!("{}-{}", hm(minute), hm(minute + 2)),
        (minute + 2) * 60_000,
    )
}

/// Opens `session_id` (the district's first when `None`) with `dose1`; its id.
pub(crate) async fn set_capacity(app: &TestApp, session_id: Option<&str>, dose1: u32) -> String {
    let body = json!({"district_id": 97, "session_id": session_id, "dose1": dose1});
    let url = format!("{}/control/open", app.sim.root_url());
    let r: Value = app
        .http
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["session"]["session_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned()
}

/// A Patna session other than `not`, from the simulator's calendar.
pub(crate) async fn another_session(app: &TestApp, not: &str) -> String {
    let url = format!(
        "{}/appointment/sessions/public/calendarByDistrict?district_id=97&date={}",
        app.sim.base_url(),
        cowin_sim::today()
    );
    let cal: Value = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = cal["centers"].as_array().unwrap().iter().flat_map(|c| {
        let sessions = c["sessions"].as_array().cloned().unwrap_or_default();
        sessions
            .into_iter()
            .filter_map(|s| s["session_id"].as_str().map(str::to_owned))
    });
    ids.into_iter()
        .find(|id| id != not)
        .expect("Patna has two sessions")
}

#[tokio::test]
async fn a_quiet_window_holds_the_alert_and_its_end_sends_one_digest_without_what_closed() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[]).await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let registered = list(&app, &token).await["subscriptions"][0]["id"].clone();
    let path = format!("/v1/subscriptions/{}", registered.as_str().unwrap());
    let r = app
        .authed(reqwest::Method::DELETE, &path, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (quiet, end_ms) = window_covering(now_ms());
    let body = json!({"district_id": 97, "quiet": quiet,
        "channels": {"email": true, "webhook": receiver.url}});
    let r = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&body);
    let created: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (&created["quiet"], &created["tz"]),
        (&json!(quiet), &json!("Asia/Kolkata"))
    );

    let private = [("WEBHOOK_ALLOW_PRIVATE", "true")];
    let (poller, worker, hooks) = pipeline(&app.prefix, &app.sim.base_url(), &private).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    let closing = set_capacity(&app, None, 7).await;
    let staying = another_session(&app, &closing).await;
    set_capacity(&app, Some(&staying), 5).await;
    assert_eq!(
        poller.poll_once(now + 70_000).await.unwrap().alerts_queued,
        1
    );
    let pass = worker.run_once(WAIT).await.unwrap();
    assert_eq!((pass.held, pass.delivered), (1, 0), "{pass:?}");
    assert_eq!(list(&app, &token).await["subscriptions"][0]["held"], 1);
    assert_eq!(app.mail.messages_to(&email).await.len(), 1, "only the code");

    set_capacity(&app, Some(&closing), 0).await;
    poller.poll_once(now + 140_000).await.unwrap();
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let digests = Digests { store, batch: 10 };
    assert_eq!(
        digests.run_once(end_ms - 1_000).await.unwrap(),
        0,
        "not before the end"
    );
    assert_eq!(digests.run_once(end_ms + 1_000).await.unwrap(), 1);
    assert_eq!(
        digests.run_once(end_ms + 2_000).await.unwrap(),
        0,
        "one digest"
    );
    assert_eq!(worker.run_once(WAIT).await.unwrap().delivered, 1);

    let digest = app.mail.wait_for(&email, 2).await.pop().unwrap();
    let subject = digest["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("After your quiet hours: Slots open: 1 session"),
        "{subject}"
    );
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.contains("1 opening closed before the quiet hours ended"),
        "{text}"
    );
    assert!(
        text.contains(&format!("fetched   {}", ist(now + 140_000))),
        "{text}"
    );
    assert_eq!(list(&app, &token).await["subscriptions"][0]["held"], 0);

    for _ in 0..20 {
        hooks.run_once(WAIT).await.unwrap();
        if !receiver.hits().is_empty() {
            break;
        }
    }
    let hits = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(hits.len(), 1, "one event per held alert");
    let event: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(event["type"], "slots.opened");
    let sessions = event["data"]["sessions"].as_array().unwrap();
    let ids: Vec<&str> = sessions
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [staying.as_str()], "only what is still open");
    for field in ["fetched_at", "detected_at", "sent_at"] {
        let at = event["data"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {event}"));
        assert!(
            redis_hack_shared::Timestamp::parse(at).is_ok(),
            "{field}: {at}"
        );
    }
    assert_eq!(event["data"]["tz"], "Asia/Kolkata");
    assert_eq!(event["data"]["digest"], json!({"held": 1, "closed": 1}));
}

#[tokio::test]
async fn a_running_worker_sends_a_held_alert_as_a_digest_when_its_window_ends() {
    let app = spawn_app_with_roles(&[], API_AND_WORKERS).await;
    let (email, job) = user_with_job(&app).await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let open: Vec<_> = job.sessions.iter().collect();
    store
        .set_latest(&job.target, Some(&open), now_ms())
        .await
        .unwrap();
    let body = serde_json::to_string(&job).unwrap();
    let sid = &job.sids[0];
    store
        .hold_alert(&job.uid, sid, &job.id, &body, now_ms() + 500)
        .await
        .unwrap();
    let digest = app.mail.wait_for(&email, 2).await.pop().unwrap();
    let subject = digest["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("After your quiet hours: Slots open: 1 session"),
        "{subject}"
    );
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.contains("PHC Danapur") && !text.contains("closed before"),
        "{text}"
    );
}

#[tokio::test]
async fn unsubscribing_forgets_the_alerts_held_for_it_and_its_digest_sends_nothing() {
    let app = spawn_app().await;
    let (email, job) = user_with_job(&app).await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let (uid, sid) = (&job.uid, &job.sids[0]);
    let body = serde_json::to_string(&job).unwrap();
    let due = now_ms() + 500;
    store
        .hold_alert(uid, sid, &job.id, &body, due)
        .await
        .unwrap();
    assert_eq!(store.held_alerts(uid, sid).await.unwrap().len(), 1);

    let user = store.user(uid).await.unwrap().unwrap();
    let sub = user.subscription(sid).unwrap();
    assert!(store.remove_subscription(uid, &sub).await.unwrap());
    assert!(
        store.held_alerts(uid, sid).await.unwrap().is_empty(),
        "the held alert goes with its subscription, not at the digest"
    );
    let digests = Digests { store, batch: 10 };
    digests.run_once(due + 1_000).await.unwrap();
    assert_eq!(
        digests.run_once(due + 2_000).await.unwrap(),
        0,
        "the due digest is ended"
    );
    assert_eq!(app.mail.messages_to(&email).await.len(), 1, "only the code");
}

#[tokio::test]
async fn an_impossible_window_or_an_unknown_zone_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    for (body, code, needle) in [
        (
            json!({"district_id": 97, "quiet": "25:00-07:00"}),
            "invalid_quiet",
            "quiet: '25:00' is not a time of day",
        ),
        (
            json!({"district_id": 97, "tz": "Mars/Olympus"}),
            "invalid_tz",
            "tz: 'Mars/Olympus' is not a time zone",
        ),
    ] {
        let r = app
            .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
            .json(&body);
        let (got, message) = error_of(r.send().await.unwrap(), 422).await;
        assert_eq!(got, code);
        assert!(
            message.starts_with(needle) && !message.contains(" at line "),
            "{message}"
        );
    }
}
