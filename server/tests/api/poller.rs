//! The poll loop end to end with a simulated clock: a fake upstream over real
//! HTTP, real Redis, the real worker and SMTP server. Openings reach matching
//! subscribers only, once; 304s are honoured; a 403 backs off.

use crate::helpers::{TestApp, env_or_explain, spawn_app, unique_email};
use crate::upstream::FakeUpstream;
use redis_hack_server::Settings;
use redis_hack_server::alerts::Worker;
use redis_hack_server::alerts::detect::Rules;
use redis_hack_server::poller::schedule::Budget;
use redis_hack_server::poller::{PollConfig, Poller};
use redis_hack_server::store::Store;
use redis_hack_server::upstream::CowinClient;
use redis_hack_server::workers::delivery_workers;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

pub const MIN: u64 = 60_000;

pub struct Rig {
    pub app: TestApp,
    pub fake: FakeUpstream,
    pub poller: Poller,
    pub worker: Worker,
}

pub async fn rig() -> Rig {
    let app = spawn_app().await;
    let (fake, base) = FakeUpstream::start().await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let config = PollConfig {
        budget: Budget {
            calls: 100,
            window: Duration::from_secs(300),
        },
        min_interval: Duration::from_secs(60),
        max_interval: Duration::from_secs(1800),
        rules: Rules {
            margin: 2,
            realert: Duration::from_secs(600),
        },
        followup_window: redis_hack_server::poller::FOLLOWUP_WINDOW,
    };
    let poller = Poller {
        store: store.clone(),
        client: CowinClient::new(&base).unwrap(),
        config,
        id: "p1".into(),
    };
    let smtp = env_or_explain("TEST_SMTP_URL");
    let settings = Settings::from_vars(|k| (k == "SMTP_URL").then(|| smtp.clone())).unwrap();
    let (worker, _) = delivery_workers(&store, &settings, "w1").await.unwrap();
    Rig {
        app,
        fake,
        poller,
        worker,
    }
}

impl Rig {
    /// Another poller process on the same Redis and upstream.
    fn poller_clone(&self) -> Poller {
        Poller {
            store: self.poller.store.clone(),
            client: self.poller.client.clone(),
            config: self.poller.config,
            id: "copy".into(),
        }
    }

    /// A verified user watching Patna (district 97) with `filters`.
    pub async fn patna_user(&self, filters: serde_json::Value) -> String {
        let email = unique_email();
        let token = self.app.signed_up(&email).await;
        if filters != json!({}) {
            let r = self
                .app
                .authed(Method::POST, "/v1/subscriptions", &token)
                .json(&json!({"district_id": 97, "filters": filters}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let list = crate::subscriptions::list(&self.app, &token).await;
            let plain = list["subscriptions"][0]["id"].as_str().unwrap().to_owned();
            self.app
                .authed(
                    Method::DELETE,
                    &format!("/v1/subscriptions/{plain}"),
                    &token,
                )
                .send()
                .await
                .unwrap();
        }
        email
    }

    pub async fn deliver(&self) -> usize {
        self.worker
            .run_once(Duration::from_millis(10))
            .await
            .unwrap()
            .delivered
    }

    async fn alerts_to(&self, email: &str) -> usize {
        // Every user got one message with the code; the rest are alerts.
        self.app.mail.messages_to(email).await.len() - 1
    }
}

#[tokio::test]
async fn an_opening_reaches_matching_subscribers_once_and_no_one_else() {
    let rig = rig().await;
    let anyone = rig.patna_user(json!({})).await;
    let second_dose = rig.patna_user(json!({"dose": 2})).await;
    rig.fake.set_sessions(97, &[("s-1", 5, 0)]);
    let t0 = 1_900_000_000_000;
    let round = rig.poller.poll_once(t0).await.unwrap();
    assert_eq!((round.fetched, round.alerts_queued), (1, 1), "{round:?}");
    assert_eq!(rig.deliver().await, 1);
    rig.app.mail.wait_for(&anyone, 2).await;
    assert_eq!(
        rig.alerts_to(&second_dose).await,
        0,
        "no dose-2 capacity: no alert"
    );

    // Still open a poll later: the upstream answers 304 and nobody hears twice.
    let round = rig.poller.poll_once(t0 + 2 * MIN).await.unwrap();
    assert_eq!(
        (round.not_modified, round.alerts_queued),
        (1, 0),
        "{round:?}"
    );

    // Dose-2 capacity appears: only the dose-2 subscriber is told.
    rig.fake.set_sessions(97, &[("s-1", 5, 3)]);
    let round = rig.poller.poll_once(t0 + 4 * MIN).await.unwrap();
    assert_eq!((round.fetched, round.alerts_queued), (1, 1), "{round:?}");
    assert_eq!(rig.deliver().await, 1);
    rig.app.mail.wait_for(&second_dose, 2).await;
    assert_eq!(
        rig.alerts_to(&anyone).await,
        1,
        "the first subscriber is not alerted again"
    );
}

#[tokio::test]
async fn a_district_is_not_polled_before_its_interval() {
    let rig = rig().await;
    rig.patna_user(json!({})).await;
    let t0 = 1_900_000_000_000;
    rig.poller.poll_once(t0).await.unwrap();
    let calls = rig.fake.calls();
    let round = rig.poller.poll_once(t0 + 10_000).await.unwrap();
    assert_eq!(
        round,
        Default::default(),
        "ten seconds later nothing is due"
    );
    assert_eq!(rig.fake.calls(), calls);
}

#[tokio::test]
async fn a_403_with_retry_after_backs_off_and_loses_nothing() {
    let rig = rig().await;
    let user = rig.patna_user(json!({})).await;
    rig.fake.set_sessions(97, &[("s-1", 5, 0)]);
    rig.fake.forbid(Some(600));
    let t0 = 1_900_000_000_000;
    let round = rig.poller.poll_once(t0).await.unwrap();
    assert_eq!((round.deferred, round.rate_limited), (1, 1), "{round:?}");
    rig.fake.forbid(None);
    let calls = rig.fake.calls();
    assert_eq!(
        rig.poller.poll_once(t0 + 5 * MIN).await.unwrap(),
        Default::default(),
        "still backing off"
    );
    assert_eq!(rig.fake.calls(), calls, "no call during the back-off");
    let round = rig.poller.poll_once(t0 + 11 * MIN).await.unwrap();
    assert_eq!(round.alerts_queued, 1, "{round:?}");
    rig.deliver().await;
    rig.app.mail.wait_for(&user, 2).await;
}

#[tokio::test]
async fn a_garbage_answer_is_counted_and_the_poller_goes_on() {
    let rig = rig().await;
    let user = rig.patna_user(json!({})).await;
    rig.fake.set_raw(97, "<html>502 Bad Gateway</html>");
    let t0 = 1_900_000_000_000;
    let round = rig.poller.poll_once(t0).await.unwrap();
    assert_eq!((round.errors, round.fetched), (1, 0), "{round:?}");
    rig.fake.set_sessions(97, &[("s-1", 5, 0)]);
    let round = rig.poller.poll_once(t0 + 31 * MIN).await.unwrap();
    assert_eq!(round.alerts_queued, 1, "the next poll works: {round:?}");
    rig.deliver().await;
    rig.app.mail.wait_for(&user, 2).await;
}

#[tokio::test]
async fn two_pollers_over_two_simulated_hours_never_exceed_the_budget() {
    let rig = rig().await;
    // 40 watched districts, three with most of the subscribers (written straight
    // into the index, as 10,000 sign-ups would take too long here).
    let mut redis = rig.app.redis().await;
    for d in 1..=40u32 {
        let subscribers = if d <= 3 { 500 } else { 1 + d % 4 };
        let _: f64 = redis::AsyncCommands::zincr(
            &mut redis,
            format!("{}targets", rig.app.prefix),
            format!("d:{d}"),
            subscribers,
        )
        .await
        .unwrap();
    }
    let second = Poller {
        id: "p2".into(),
        ..rig.poller_clone()
    };
    let (mut calls_at, t0) = (Vec::new(), 1_900_000_000_000u64);
    for step in 0..(2 * 3600 / 5) {
        let now = t0 + step * 5_000;
        let (a, b) = tokio::join!(rig.poller.poll_once(now), second.poll_once(now));
        for round in [a.unwrap(), b.unwrap()] {
            let calls = round.fetched + round.not_modified + round.errors + round.rate_limited;
            calls_at.extend(std::iter::repeat_n(now, calls));
        }
    }
    let worst = calls_at
        .iter()
        .map(|start| {
            calls_at
                .iter()
                .filter(|t| **t >= *start && **t < start + 300_000)
                .count()
        })
        .max()
        .unwrap();
    assert!(worst <= 100, "{worst} calls in one 5-minute window");
    assert!(
        calls_at.len() >= 2 * 12 * 90,
        "the budget is mostly used: {} calls",
        calls_at.len()
    );
}

#[tokio::test]
async fn a_pincode_subscription_is_served_by_calendar_by_pin() {
    let rig = rig().await;
    let email = unique_email();
    let token = rig.app.signed_up(&email).await;
    let r = rig
        .app
        .authed(Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"pincode": "110001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    rig.fake.set_sessions(110001, &[("pin-1", 3, 0)]);
    let round = rig.poller.poll_once(1_900_000_000_000).await.unwrap();
    assert_eq!(
        (round.fetched, round.alerts_queued),
        (2, 1),
        "Patna and the pincode polled; one alert: {round:?}"
    );
    assert_eq!(rig.deliver().await, 1);
    let msgs = rig.app.mail.wait_for(&email, 2).await;
    assert!(
        msgs.last().unwrap()["subject"]
            .as_str()
            .unwrap()
            .contains("pincode 110001")
    );
}
