//! The `Gone:` follow-up (issue 12 point 3): when every session of an alert
//! has closed, one follow-up email replies in the alert's thread and one
//! `slots.closed` webhook names the same subscription and sessions as the
//! `slots.opened`; both events reach the live feed; `followup: false` turns
//! it off; a session that reopens is a new opening with its own alert.

use crate::helpers::{Mailbox, spawn_app};
use crate::open_now::{NO_WAIT, STEP, bare_user, close_patna, open_patna, subjects, subscribe};
use crate::receiver::Receiver;
use crate::simulated::pipeline;
use redis_hack_server::store::{Store, now_ms};
use redis_hack_shared::FeedKind;
use serde_json::{Value, json};
use std::time::Duration;

fn session_ids(body: &Value) -> Vec<String> {
    body["data"]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn closing_an_alerted_session_sends_one_threaded_gone_email_and_one_slots_closed_webhook() {
    let app = spawn_app().await;
    let allow_local = [("WEBHOOK_ALLOW_PRIVATE", "true")];
    let (poller, emails, webhooks) = pipeline(&app.prefix, &app.sim.base_url(), &allow_local).await;
    let (email, token) = bare_user(&app).await;
    subscribe(&app, &token, json!({"district_id": 97})).await;
    let hook = Receiver::start(&[]).await;
    let hooked = subscribe(
        &app,
        &token,
        json!({"district_id": 97, "filters": {"min_capacity": 2},
               "channels": {"email": false, "webhook": hook.url}}),
    )
    .await;
    let (plain, plain_token) = bare_user(&app).await;
    subscribe(
        &app,
        &plain_token,
        json!({"district_id": 97, "followup": false}),
    )
    .await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();

    let opened = open_patna(&app, 6).await;
    assert_eq!(poller.poll_once(now + STEP).await.unwrap().alerts_queued, 2);
    emails.run_once(NO_WAIT).await.unwrap();
    webhooks.run_once(NO_WAIT).await.unwrap();
    hook.wait_for(1, Duration::from_secs(10)).await;
    app.mail.wait_for(&email, 2).await;

    close_patna(&app).await;
    poller.poll_once(now + 2 * STEP).await.unwrap();
    poller.poll_once(now + 3 * STEP).await.unwrap(); // nothing more to follow up
    emails.run_once(NO_WAIT).await.unwrap();
    webhooks.run_once(NO_WAIT).await.unwrap();
    let msgs = app.mail.wait_for(&email, 3).await;
    let titles = subjects(&app, &email).await;
    assert_eq!(titles.len(), 3, "code, alert, one follow-up: {titles:?}");
    assert!(titles[1].starts_with("Slots open"), "{titles:?}");
    assert_eq!(
        titles[2], "Gone: the session for Patna, Bihar (district 97) is no longer open",
        "one session opened, so one closed: {titles:?}"
    );
    let alert = app.mail.source(&msgs[1]).await;
    let gone = app.mail.source(&msgs[2]).await;
    let alert_id = Mailbox::header(&alert, "Message-ID").expect("alerts carry a Message-ID");
    assert_eq!(
        Mailbox::header(&gone, "In-Reply-To").as_ref(),
        Some(&alert_id)
    );
    assert_eq!(
        Mailbox::header(&gone, "References").as_ref(),
        Some(&alert_id)
    );
    assert!(gone.contains(opened["center"].as_str().unwrap()));

    let hits = hook.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    let first: Value = serde_json::from_str(&hits[0].body).unwrap();
    let second: Value = serde_json::from_str(&hits[1].body).unwrap();
    assert_eq!(
        (&first["type"], &second["type"]),
        (&json!("slots.opened"), &json!("slots.closed"))
    );
    assert_eq!(second["data"]["subscription_id"], hooked["id"]);
    assert_eq!(first["data"]["subscription_id"], hooked["id"]);
    assert_eq!(session_ids(&first), session_ids(&second));
    assert_eq!(first["data"]["alert_id"], second["data"]["alert_id"]);

    let plain_titles = subjects(&app, &plain).await;
    assert_eq!(
        plain_titles.len(),
        2,
        "followup false: no Gone: {plain_titles:?}"
    );

    let store = Store::connect(
        &crate::helpers::env_or_explain("TEST_REDIS_URL"),
        &app.prefix,
    )
    .await
    .unwrap();
    let uid = crate::feed::uid_of(&app, &email).await;
    let feed = store.read_feed(&uid, None, 10).await.unwrap();
    let kinds: Vec<FeedKind> = feed.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [FeedKind::SlotsOpened, FeedKind::SlotsClosed]);
    assert_eq!(feed[0].alert_id, feed[1].alert_id);

    open_patna(&app, 6).await;
    let round = poller.poll_once(now + 4 * STEP).await.unwrap();
    assert_eq!(
        round.alerts_queued, 2,
        "reopened: a new opening for both users"
    );
}

#[tokio::test]
async fn sessions_closing_after_the_followup_window_send_no_follow_up() {
    let app = spawn_app().await;
    let window = [("FOLLOWUP_WINDOW", "1m")];
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &window).await;
    let (email, token) = bare_user(&app).await;
    subscribe(&app, &token, json!({"district_id": 97})).await;
    let now = now_ms();
    poller.poll_once(now).await.unwrap();
    open_patna(&app, 6).await;
    assert_eq!(poller.poll_once(now + STEP).await.unwrap().alerts_queued, 1);
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    close_patna(&app).await;
    poller.poll_once(now + 3 * STEP).await.unwrap(); // more than a minute after the alert
    let pass = emails.run_once(NO_WAIT).await.unwrap();
    assert_eq!(pass.delivered, 0, "nothing queued: {pass:?}");
    let titles = subjects(&app, &email).await;
    assert_eq!(titles.len(), 2, "the code and the alert only: {titles:?}");
}
