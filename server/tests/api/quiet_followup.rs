//! Quiet hours and `Gone:` follow-ups together: an alert held for the
//! digest whose sessions all close inside the window gets no follow-up at
//! night (the user never saw the alert), and the digest at the window's end
//! has nothing left to send.

use crate::quiet::{another_session, set_capacity, window_covering};
use crate::simulated::pipeline;
use crate::subscriptions::list;
use redis_hack_server::alerts::Digests;
use redis_hack_server::store::{Store, now_ms};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_millis(10);

#[tokio::test]
async fn a_held_alert_whose_sessions_all_close_in_the_window_sends_no_gone_email_and_no_digest() {
    let app = crate::helpers::spawn_app().await;
    let email = crate::helpers::unique_email();
    let token = app.signed_up(&email).await;
    let registered = list(&app, &token).await["subscriptions"][0]["id"].clone();
    let path = format!("/v1/subscriptions/{}", registered.as_str().unwrap());
    let r = app.authed(reqwest::Method::DELETE, &path, &token);
    assert_eq!(r.send().await.unwrap().status(), 204);
    let (quiet, end_ms) = window_covering(now_ms());
    let body = json!({"district_id": 97, "quiet": quiet});
    let r = app.authed(reqwest::Method::POST, "/v1/subscriptions", &token);
    let created: Value = r.json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(created["quiet"], json!(quiet), "{created}");

    let (poller, worker, _hooks) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    let first = set_capacity(&app, None, 7).await;
    let second = another_session(&app, &first).await;
    set_capacity(&app, Some(&second), 5).await;
    assert_eq!(
        poller.poll_once(now + 70_000).await.unwrap().alerts_queued,
        1
    );
    let pass = worker.run_once(WAIT).await.unwrap();
    assert_eq!((pass.held, pass.delivered), (1, 0), "{pass:?}");

    // Both sessions close inside the window: the follow-up is queued (the
    // alert was tracked at detection) but not sent at night.
    set_capacity(&app, Some(&first), 0).await;
    set_capacity(&app, Some(&second), 0).await;
    poller.poll_once(now + 140_000).await.unwrap();
    let pass = worker.run_once(WAIT).await.unwrap();
    assert_eq!(pass.delivered, 0, "no Gone: email in quiet hours: {pass:?}");

    let store = Store::connect(
        &crate::helpers::env_or_explain("TEST_REDIS_URL"),
        &app.prefix,
    )
    .await
    .unwrap();
    let digests = Digests { store, batch: 10 };
    digests.run_once(end_ms + 1_000).await.unwrap();
    let pass = worker.run_once(WAIT).await.unwrap();
    assert_eq!(
        pass.delivered, 0,
        "everything held closed: no digest: {pass:?}"
    );
    let mail = app.mail.messages_to(&email).await;
    let subjects: Vec<&str> = mail.iter().filter_map(|m| m["subject"].as_str()).collect();
    assert_eq!(subjects.len(), 1, "only the code: {subjects:?}");
}
