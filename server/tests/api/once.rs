//! One-shot subscriptions (issue 12 point 2): `once` alerts once, stays
//! quiet across a close and a reopen, and `rearm` arms it again with what is
//! open right now; rearming an unknown or someone else's id is a 404.

use crate::helpers::{error_of, spawn_app};
use crate::open_now::{NO_WAIT, STEP, alerts_to, bare_user, close_patna, open_patna, subscribe};
use crate::simulated::pipeline;
use crate::subscriptions::list;
use redis_hack_server::store::now_ms;
use redis_hack_shared::{Channels, Filters, Subscription, SubscriptionId, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_one_shot_subscription_alerts_once_across_close_and_reopen_until_rearmed() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (email, token) = bare_user(&app).await;
    let made = subscribe(&app, &token, json!({"district_id": 97, "once": true})).await;
    assert_eq!(
        (&made["once"], &made["armed"]),
        (&json!(true), &json!(true))
    );
    let id = made["id"].as_str().unwrap().to_owned();
    let now = now_ms();
    poller.poll_once(now).await.unwrap();

    open_patna(&app, 6).await;
    assert_eq!(poller.poll_once(now + STEP).await.unwrap().alerts_queued, 1);
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    let sub = list(&app, &token).await["subscriptions"][0].clone();
    assert_eq!(sub["armed"], false, "{sub}");
    assert!(sub["disarmed_at"].is_string(), "{sub}");

    close_patna(&app).await;
    poller.poll_once(now + 2 * STEP).await.unwrap();
    open_patna(&app, 20).await;
    let round = poller.poll_once(now + 3 * STEP).await.unwrap();
    assert_eq!(round.alerts_queued, 0, "disarmed: {round:?}");
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 3).await; // the code, the alert, its Gone: follow-up
    assert_eq!(alerts_to(&app, &email).await, 1, "one alert until rearm");

    let r = app
        .authed(
            Method::POST,
            &format!("/v1/subscriptions/{id}/rearm"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rearmed: Value = r.json().await.unwrap();
    assert_eq!(rearmed["armed"], true, "{rearmed}");
    assert_eq!(rearmed["open_now"][0]["capacity_dose1"], 20, "{rearmed}");
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 4).await;
    assert_eq!(
        alerts_to(&app, &email).await,
        2,
        "what is open now, at once"
    );
    assert_eq!(
        list(&app, &token).await["subscriptions"][0]["armed"],
        false,
        "and disarmed again"
    );
}

#[tokio::test]
async fn rearming_an_unknown_or_someone_elses_subscription_is_a_404() {
    let app = spawn_app().await;
    let (_, mine) = bare_user(&app).await;
    let (_, theirs) = bare_user(&app).await;
    let made = subscribe(&app, &theirs, json!({"district_id": 97, "once": true})).await;
    let their_id = made["id"].as_str().unwrap();
    for id in [their_id, "s00000000", "not an id"] {
        let path = format!("/v1/subscriptions/{}/rearm", id.replace(' ', "%20"));
        let r = app.authed(Method::POST, &path, &mine).send().await.unwrap();
        let (code, message) = error_of(r, 404).await;
        assert_eq!(code, "not_found");
        assert!(message.contains("no subscription with id"), "{message}");
        assert_eq!(message.matches(". ").count(), 0, "one sentence: {message}");
    }
}

#[tokio::test]
async fn a_one_shot_topic_subscription_is_allowed() {
    let app = spawn_app().await;
    let (_, token) = bare_user(&app).await;
    let made = subscribe(&app, &token, json!({"topic": "cs101", "once": true})).await;
    assert_eq!(made["once"], true);
}

#[tokio::test]
async fn of_two_alerts_in_flight_for_a_one_shot_subscription_only_the_first_is_sent() {
    use crate::alerts::{enqueue, quick_policy, user_with_job, worker};
    let app = spawn_app().await;
    let (email, mut job) = user_with_job(&app).await;
    let smtp = crate::helpers::env_or_explain("TEST_SMTP_URL");
    let w = worker(&app, "w1", &smtp, quick_policy()).await;
    let mut sub = Subscription::new(
        SubscriptionId::parse("sonce0001").unwrap(),
        crate::helpers::district(97),
        Filters::default(),
        Channels::default(),
        Timestamp::now(),
    );
    sub.once = true;
    w.store
        .add_subscription(&job.uid, &sub, None)
        .await
        .unwrap();
    job.sids = vec![sub.id.clone()];
    let mut second = job.clone();
    second.id = format!("{}-2", job.id);
    second.detected_at_ms += 1;
    enqueue(&w, &job).await;
    enqueue(&w, &second).await;
    let pass = w.run_once(NO_WAIT).await.unwrap();
    assert_eq!((pass.delivered, pass.dropped), (1, 1), "{pass:?}");
    app.mail.wait_for(&email, 2).await;
    assert_eq!(alerts_to(&app, &email).await, 1);
}

#[tokio::test]
async fn a_one_shot_alert_that_failed_once_is_still_sent_on_its_retry() {
    use crate::alerts::{enqueue, quick_policy, user_with_job, worker};
    let app = spawn_app().await;
    let (email, mut job) = user_with_job(&app).await;
    let down = worker(&app, "w-down", "smtp://127.0.0.1:9", quick_policy()).await;
    let mut sub = Subscription::new(
        SubscriptionId::parse("sonce0002").unwrap(),
        crate::helpers::district(97),
        Filters::default(),
        Channels::default(),
        Timestamp::now(),
    );
    sub.once = true;
    down.store
        .add_subscription(&job.uid, &sub, None)
        .await
        .unwrap();
    job.sids = vec![sub.id.clone()];
    enqueue(&down, &job).await;
    assert_eq!(down.run_once(NO_WAIT).await.unwrap().retried, 1);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let smtp = crate::helpers::env_or_explain("TEST_SMTP_URL");
    let up = worker(&app, "w-up", &smtp, quick_policy()).await;
    assert_eq!(
        up.run_once(NO_WAIT).await.unwrap().delivered,
        1,
        "the disarming alert itself"
    );
    assert_eq!(alerts_to(&app, &email).await, 1);
}
