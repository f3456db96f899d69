//! `GET /v1/events`, the live feed, over real HTTP: the user's own events as
//! Server-Sent Events with `id:` and `event:`, from the next one on (or after
//! `Last-Event-ID`, without loss), a 400 naming a bad or unknown id, a 401
//! without a token; and end to end, an opening the simulator makes reaches
//! the feed. Most tests store events with `push_feed_events`, as the alert
//! path does.

use crate::helpers::{TestApp, district, env_or_explain, error_of, spawn_app, unique_email};
use redis::AsyncCommands;
use redis_hack_server::store::Store;
use redis_hack_shared::{FeedEvent, FeedKind, SubscriptionId, Timestamp, UserId};
use serde_json::Value;
use std::time::Duration;

/// The store of `app`'s keys.
pub async fn store_of(prefix: &str) -> Store {
    Store::connect(&env_or_explain("TEST_REDIS_URL"), prefix)
        .await
        .unwrap()
}

/// The uid behind a verified address.
pub async fn uid_of(app: &TestApp, email: &str) -> UserId {
    let email = redis_hack_shared::EmailAddress::parse(email).unwrap();
    store_of(&app.prefix)
        .await
        .uid_by_email(&email)
        .await
        .unwrap()
        .expect("a verified address has a uid")
}

/// A `slots.opened` event for Patna whose alert id is `alert`.
pub fn opened(alert: &str) -> FeedEvent {
    FeedEvent {
        id: String::new(),
        kind: FeedKind::SlotsOpened,
        timestamp: Timestamp::now(),
        alert_id: alert.to_owned(),
        subscription_ids: vec![SubscriptionId::parse("sfeed1").unwrap()],
        target: district(97),
        sessions: Vec::new(),
    }
}

/// Stores `events` in `uid`'s feed, as the alert path does.
pub async fn push(store: &Store, uid: &UserId, events: &[FeedEvent]) {
    let batch: Vec<(UserId, FeedEvent)> = events.iter().map(|e| (uid.clone(), e.clone())).collect();
    store.push_feed_events(&batch).await.unwrap();
}

/// One open `GET /v1/events`, read message by message.
pub struct Feed {
    response: reqwest::Response,
    buffer: String,
}

/// One message: its `id:`, `event:` and `data:` as JSON.
#[derive(Debug)]
pub struct Message {
    pub id: String,
    pub event: String,
    pub data: Value,
}

impl Feed {
    pub async fn open(app: &TestApp, token: &str, last_id: Option<&str>) -> reqwest::Response {
        let mut req = app.authed(reqwest::Method::GET, "/v1/events", token);
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        req.send().await.unwrap()
    }

    pub async fn connect(app: &TestApp, token: &str, last_id: Option<&str>) -> Self {
        let response = Self::open(app, token, last_id).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next message with data (keep-alive comments are skipped); panics
    /// after 10 s without one.
    pub async fn next(&mut self) -> Message {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                        .map(str::to_owned)
                };
                if let Some(data) = field("data") {
                    return Message {
                        id: field("id").expect("every event has an id"),
                        event: field("event").expect("every event names its type"),
                        data: serde_json::from_str(&data).expect("data is JSON"),
                    };
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .expect("the stream stays open")
                .expect("the stream did not end");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn the_feed_streams_the_users_own_new_events_and_resumes_after_last_event_id() {
    let app = spawn_app().await;
    let (email, other) = (unique_email(), unique_email());
    let token = app.signed_up(&email).await;
    let _ = app.signed_up(&other).await;
    let store = store_of(&app.prefix).await;
    let (uid, other_uid) = (uid_of(&app, &email).await, uid_of(&app, &other).await);
    push(&store, &uid, &[opened("before")]).await;

    let mut feed = Feed::connect(&app, &token, None).await;
    push(&store, &other_uid, &[opened("someone-else")]).await;
    let mut closed = opened("a1");
    closed.kind = FeedKind::SlotsClosed;
    push(&store, &uid, &[opened("a1"), closed]).await;
    let first = feed.next().await;
    assert_eq!(
        (first.event.as_str(), &first.data["alert_id"]),
        ("slots.opened", &Value::from("a1")),
        "neither the event from before the connection nor another user's comes: {first:?}"
    );
    assert_eq!(
        first.data["id"],
        first.id.as_str(),
        "data carries the id too"
    );
    assert_eq!(first.data["target"]["district_id"], 97);
    let second = feed.next().await;
    assert_eq!(
        (second.event.as_str(), &second.data["type"]),
        ("slots.closed", &Value::from("slots.closed"))
    );

    // Reconnecting after the first event gets the second and what came while away.
    drop(feed);
    push(&store, &uid, &[opened("a2")]).await;
    let mut again = Feed::connect(&app, &token, Some(&first.id)).await;
    let got = [again.next().await, again.next().await];
    assert_eq!(
        got.iter().map(|m| m.id.as_str()).collect::<Vec<_>>()[0],
        second.id,
        "resumed right after the last id"
    );
    assert_eq!(got[1].data["alert_id"], "a2");
}

#[tokio::test]
async fn a_malformed_or_unknown_last_event_id_is_refused_in_one_sentence() {
    let app = spawn_app().await;
    let (email, other) = (unique_email(), unique_email());
    let token = app.signed_up(&email).await;
    let _ = app.signed_up(&other).await;
    let store = store_of(&app.prefix).await;
    push(&store, &uid_of(&app, &other).await, &[opened("theirs")]).await;
    let their_id: String = {
        let mut redis = app.redis().await;
        let entries: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
            .arg(format!(
                "{}feed:{{{}}}",
                app.prefix,
                uid_of(&app, &other).await
            ))
            .arg("-")
            .arg("+")
            .query_async(&mut redis)
            .await
            .unwrap();
        entries[0].0.clone()
    };
    for (id, code, says) in [
        ("yesterday", "invalid_last_event_id", "is not an event id"),
        ("1-0", "unknown_last_event_id", "is not in your feed"),
        (
            their_id.as_str(),
            "unknown_last_event_id",
            "is not in your feed",
        ),
    ] {
        let (got_code, message) = error_of(Feed::open(&app, &token, Some(id)).await, 400).await;
        assert_eq!(got_code, code, "{id}");
        assert!(
            message.contains(says) && !message.contains('\n'),
            "{id}: {message}"
        );
    }
}

#[tokio::test]
async fn an_entry_the_server_cannot_read_is_passed_over_and_the_feed_goes_on() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let (store, uid) = (store_of(&app.prefix).await, uid_of(&app, &email).await);
    let mut feed = Feed::connect(&app, &token, None).await;
    push(&store, &uid, &[opened("before")]).await;
    let mut redis = app.redis().await;
    let _: String = redis
        .xadd(
            format!("{}feed:{{{uid}}}", app.prefix),
            "*",
            &[("e", "{\"not\": \"an event\"}")],
        )
        .await
        .unwrap();
    push(&store, &uid, &[opened("after")]).await;
    assert_eq!(feed.next().await.data["alert_id"], "before");
    assert_eq!(
        feed.next().await.data["alert_id"],
        "after",
        "the unreadable entry neither ends the stream nor is sent"
    );
}

#[tokio::test]
async fn the_feed_needs_a_token() {
    let app = spawn_app().await;
    let (code, _) = error_of(app.get("/v1/events").await, 401).await;
    assert_eq!(code, "missing_token");
}

/// End to end: needs the alert path to push `slots.opened` into the feed
/// (issue 12 point 3, branch w12-a); passes once that is merged.
#[tokio::test]
async fn an_opening_the_simulator_makes_reaches_the_feed() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await; // watches Patna (97)
    let (poller, _, _) = crate::simulated::pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let now = redis_hack_server::store::now_ms();
    poller.poll_once(now).await.unwrap();
    let mut feed = Feed::connect(&app, &token, None).await;
    let opened: Value = crate::open_now::open_patna(&app, 7).await;
    poller.poll_once(now + 70_000).await.unwrap();
    let event = feed.next().await;
    assert_eq!(event.event, "slots.opened");
    assert_eq!(
        event.data["sessions"][0]["center_name"], opened["center"],
        "{event:?}"
    );
}
