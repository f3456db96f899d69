//! Stale index entries (issue 14 point 3): the user's document is the source
//! of truth, so an index entry whose subscription is gone from it (left by a
//! crash between the writes of an unsubscribe, or a race) alerts no one, and
//! the delivery that finds it deletes it and its mode flag.

use crate::check_helpers::{Raw, members};
use crate::feed::uid_of;
use crate::helpers::spawn_app;
use crate::open_now::{NO_WAIT, alerts_to, bare_user, open_patna, subscribe};
use crate::simulated::pipeline;
use redis::AsyncCommands;
use redis_hack_server::store::now_ms;
use redis_hack_shared::Filters;
use serde_json::json;

#[tokio::test]
async fn an_index_entry_without_its_subscription_alerts_no_one_and_is_deleted() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (watcher, token) = bare_user(&app).await;
    subscribe(&app, &token, json!({"district_id": 97})).await;
    let (gone, _) = bare_user(&app).await;
    let stale = format!("{}:sstale001", uid_of(&app, &gone).await);
    let raw = Raw::of(&app.prefix);
    let ((part, field), mode) = (raw.index_entry("d:97", &stale), raw.mode("d:97"));
    let mut redis = app.redis().await;
    let filters = serde_json::to_string(&Filters::default()).unwrap();
    let () = redis.hset(&part, &field, filters).await.unwrap();
    let () = redis.hset(&mode, &stale, "n").await.unwrap();

    open_patna(&app, 7).await;
    let round = poller.poll_once(now_ms()).await.unwrap();
    assert_eq!(round.alerts_queued, 2, "the stale entry was fanned out to");
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&watcher, 2).await;
    assert_eq!(
        alerts_to(&app, &watcher).await,
        1,
        "the subscriber is alerted"
    );
    assert_eq!(alerts_to(&app, &gone).await, 0, "the stale entry is not");

    let left: bool = redis.hexists(&part, &field).await.unwrap();
    assert!(!left, "the stale index entry is deleted");
    let flag: bool = redis.hexists(&mode, &stale).await.unwrap();
    assert!(!flag, "and its mode flag");
    let watched = members(&mut redis, &raw, "d:97").await;
    assert_eq!(watched.len(), 1, "the live subscription stays indexed");
    let score: Option<f64> = redis
        .zscore(format!("{}targets", app.prefix), "d:97")
        .await
        .unwrap();
    assert_eq!(score, Some(1.0), "counted by what is left");
}
