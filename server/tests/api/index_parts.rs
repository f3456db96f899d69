//! A target's fan-out index in 16 parts (layout 4, issue 14's memory target):
//! each subscription is one entry of the part named by its uid's first hex
//! digit, a 17-byte field (uid bytes, then the subscription id) and its
//! filters (nothing for the default ones). An entry that cannot be read costs
//! no one else their alert, and `check --repair` removes it.

use crate::check_helpers::{Raw, found_then_repaired, members};
use crate::feed::store_of;
use crate::helpers::spawn_app;
use crate::open_now::{NO_WAIT, alerts_to, bare_user, open_patna, subscribe};
use crate::simulated::pipeline;
use redis::AsyncCommands;
use redis_hack_server::store::now_ms;
use redis_hack_shared::TargetKey;
use serde_json::json;
use std::collections::HashMap;

const MALFORMED: &str =
    "index entries that cannot be read (no uid and subscription id, or in another uid's part)";

#[tokio::test]
async fn each_subscription_is_one_compact_entry_in_its_uids_part() {
    let app = spawn_app().await;
    let mut made = HashMap::new();
    for i in 0..4 {
        let (_, token) = bare_user(&app).await;
        let body = match i {
            0 => json!({"district_id": 97, "filters": {"min_capacity": 5}}),
            _ => json!({"district_id": 97}),
        };
        let sub = subscribe(&app, &token, body).await;
        made.insert(
            sub["id"].as_str().unwrap().to_owned(),
            sub["filters"].clone(),
        );
    }
    let (raw, mut redis) = (Raw::of(&app.prefix), app.redis().await);
    let indexed = members(&mut redis, &raw, "d:97").await;
    assert_eq!(indexed.len(), 4, "{indexed:?}");
    for member in &indexed {
        let (part, field) = raw.index_entry("d:97", member);
        assert_eq!(field.len(), 17, "8 uid bytes and `s` + 8 hex digits");
        let value: Option<Vec<u8>> = redis.hget(&part, &field).await.unwrap();
        let value = value.unwrap_or_else(|| panic!("{member} is not in part {part}"));
        let sid = member.split_once(':').unwrap().1;
        match made[sid]["min_capacity"].as_u64() {
            Some(5) => assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&value).unwrap()["min_capacity"],
                5
            ),
            _ => assert!(value.is_empty(), "default filters are stored as nothing"),
        }
    }

    let store = store_of(&app.prefix).await;
    let fanned = store
        .subscribers_of(&TargetKey::parse("d:97").unwrap())
        .await
        .unwrap();
    assert_eq!(fanned.len(), 4);
    for sub in fanned {
        let wanted = made[sub.sid.as_str()]["min_capacity"].as_u64().unwrap_or(0);
        let read = serde_json::to_value(&sub.filters).unwrap()["min_capacity"].as_u64();
        assert_eq!(read.unwrap_or(0), wanted, "{}", sub.sid);
    }
}

#[tokio::test]
async fn an_unreadable_entry_costs_no_one_their_alert_and_check_removes_it() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (email, token) = bare_user(&app).await;
    let sub = subscribe(&app, &token, json!({"district_id": 97})).await;
    let (raw, mut redis) = (Raw::of(&app.prefix), app.redis().await);
    let parts = raw.index_parts("d:97");
    let () = redis.hset(&parts[3], b"junk", "").await.unwrap();

    open_patna(&app, 3).await;
    let round = poller.poll_once(now_ms()).await.unwrap();
    assert_eq!(
        round.alerts_queued, 1,
        "the readable entry is fanned out to"
    );
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    assert_eq!(alerts_to(&app, &email).await, 1);

    // The subscriber's entry moved to a part that is not its uid's: read as
    // malformed, removed, and the subscription indexed again where it belongs.
    let member = members(&mut redis, &raw, "d:97")
        .await
        .into_iter()
        .find(|m| m.ends_with(sub["id"].as_str().unwrap()))
        .unwrap();
    let (right, field) = raw.index_entry("d:97", &member);
    let wrong = parts
        .iter()
        .find(|p| **p != right && **p != parts[3])
        .unwrap();
    let moved: u32 = redis.hdel(&right, &field).await.unwrap();
    assert_eq!(moved, 1);
    let () = redis.hset(wrong, &field, "").await.unwrap();

    found_then_repaired(
        &app.prefix,
        &[
            (MALFORMED, 2),
            ("subscriptions missing from their target's index", 1),
        ],
    )
    .await;
    let junk: bool = redis.hexists(&parts[3], b"junk").await.unwrap();
    assert!(!junk, "the junk field is gone");
    let back: bool = redis.hexists(&right, &field).await.unwrap();
    assert!(back, "the subscription is in its own part again");
}
