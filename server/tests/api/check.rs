//! `redis-hack-server check [--repair]` (issue 14 point 3): nothing to report
//! on a store built through the API; after a user action cut short between
//! two of its writes it reports exactly that half-done item, `--repair`
//! repairs it from the user document (the source of truth), and a second
//! `check` is clean. A user document at a uid its address does not lead to
//! is reported and left for a person.
//!
//! The half-done states are made two ways: by a server process that aborts
//! at a failpoint (`REDIS_HACK_FAILPOINT`, set between the writes by the
//! layout 2 write ordering), and by removing the second write's keys directly,
//! which needs no failpoint (the failpoint tests are in `check_crash.rs`).
//! The helpers both share are in `check_helpers.rs`.

use crate::check_helpers::{
    NOT_INDEXED, Raw, SERVER, STALE_ENTRY, WRONG_UID, assert_found, check, counts, fans_out_to,
    found_then_repaired, ids, member_of, unindex,
};
use crate::helpers::{spawn_app, unique_email};
use crate::open_now::{NO_WAIT, alerts_to, bare_user, open_patna, subscribe};
use crate::simulated::pipeline;
use crate::subscriptions::listed;
use crate::uids::{plant, probe_uid};
use redis::AsyncCommands;
use redis_hack_server::store::now_ms;
use redis_hack_shared::{EmailAddress, UserId};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_store_built_through_the_api_has_nothing_to_report() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await; // subscribed to Patna
    let once = subscribe(&app, &token, json!({"district_id": 98, "once": true})).await;
    subscribe(&app, &token, json!({"district_id": 99, "followup": false})).await;
    subscribe(&app, &token, json!({"topic": "cs101"})).await;
    let other = app.signed_up(&unique_email()).await;
    subscribe(&app, &other, json!({"district_id": 98, "followup": false})).await;
    let r = app
        .authed(
            Method::DELETE,
            &format!("/v1/subscriptions/{}", once["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(listed(&app, &token).await.len(), 3);

    let (code, out) = check(&app.prefix, &[]).await;
    assert_found(&out, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No inconsistencies"), "{out}");
    assert!(out.contains("of 2 users"), "{out}");
}

/// A subscribe cut short after its first write (the document has the
/// subscription; its index entry and `targets` count are not written): the
/// document is the source of truth, so the repair indexes it, and the
/// subscription is listed and alerts.
#[tokio::test]
async fn a_subscribe_cut_short_after_the_document_is_indexed_by_the_repair() {
    let app = spawn_app().await;
    let (poller, emails, _) = pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let (email, token) = bare_user(&app).await;
    let made = subscribe(&app, &token, json!({"district_id": 97, "followup": false})).await;
    let sid = made["id"].as_str().unwrap();
    let mut redis = app.redis().await;
    let raw = Raw::of(&app.prefix);
    let member = member_of(&mut redis, &raw, "d:97", sid).await;
    unindex(&mut redis, &raw, "d:97", &member).await;
    let _: u32 = redis.zrem(raw.targets(), "d:97").await.unwrap();
    assert!(!fans_out_to(&app, "d:97", sid).await);

    found_then_repaired(&app.prefix, &[(NOT_INDEXED, 1)]).await;

    assert_eq!(ids(&listed(&app, &token).await), [sid]);
    let mode: Option<String> = redis.hget(raw.mode("d:97"), &member).await.unwrap();
    assert_eq!(mode.as_deref(), Some("n"), "its flags are back too");
    open_patna(&app, 5).await;
    assert_eq!(poller.poll_once(now_ms()).await.unwrap().alerts_queued, 1);
    emails.run_once(NO_WAIT).await.unwrap();
    app.mail.wait_for(&email, 2).await;
    assert_eq!(alerts_to(&app, &email).await, 1);
}

/// An unsubscribe cut short after its first write (the index entry is gone,
/// the document still has the subscription). The request failed, so the user
/// was never told it was gone; the document is the source of truth, so the
/// repair indexes it again and it is still listed (and can be removed again).
#[tokio::test]
async fn an_unsubscribe_cut_short_after_the_index_is_indexed_again_and_still_listed() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let made = subscribe(&app, &token, json!({"district_id": 98})).await;
    let sid = made["id"].as_str().unwrap().to_owned();
    let mut redis = app.redis().await;
    let raw = Raw::of(&app.prefix);
    let member = member_of(&mut redis, &raw, "d:98", &sid).await;
    unindex(&mut redis, &raw, "d:98", &member).await;

    found_then_repaired(&app.prefix, &[(NOT_INDEXED, 1)]).await;

    assert!(ids(&listed(&app, &token).await).contains(&sid.as_str()));
    assert!(fans_out_to(&app, "d:98", &sid).await);
    let r = app
        .authed(Method::DELETE, &format!("/v1/subscriptions/{sid}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (code, out) = check(&app.prefix, &[]).await;
    assert_eq!(code, 0, "{out}");
}

/// User documents at a uid their address does not lead to (written by hand:
/// no action of the server makes one): one at a uid of no address's, one
/// behind the document its address already has. Reported, and left as they
/// are by `--repair` (moving a user would change its uid under its tokens);
/// the real user is untouched.
#[tokio::test]
async fn users_at_a_uid_their_address_does_not_lead_to_are_reported_and_left_alone() {
    let app = spawn_app().await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let parsed = EmailAddress::parse(&email).unwrap();
    let nowhere = UserId::parse("00000000000000aa").unwrap();
    plant(&app, &nowhere, &unique_email()).await;
    plant(&app, &probe_uid(&parsed, 1), &email).await;

    let (code, out) = check(&app.prefix, &[]).await;
    assert_found(&out, &[(WRONG_UID, 2)]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = check(&app.prefix, &["--repair"]).await;
    assert_found(&out, &[(WRONG_UID, 2)]);
    assert_eq!(code, 1, "left for a person: {out}");
    assert!(
        out.contains("(left as they are; moving a user would change its uid under its tokens"),
        "{out}"
    );
    let (code, out) = check(&app.prefix, &[]).await;
    assert_found(&out, &[(WRONG_UID, 2)]);
    assert_eq!(code, 1, "{out}");

    let mut redis = app.redis().await;
    let raw = Raw::of(&app.prefix);
    let kept: bool = redis.exists(raw.user(nowhere.as_str())).await.unwrap();
    assert!(kept, "not moved, not deleted");
    assert_eq!(
        listed(&app, &token).await.len(),
        1,
        "the registered district"
    );
}

/// A user document deleted by hand leaves its index entries and token behind (and its `ver:` key, in a layout that has one: counted with the
/// other per-user keys); wrong flags, filters and counts are found too; the
/// repair removes what belongs to no one and rewrites the rest from the
/// documents.
#[tokio::test]
async fn leftovers_of_a_missing_user_and_wrong_flags_filters_and_counts_are_repaired() {
    let app = spawn_app().await;
    let gone = app.signed_up(&unique_email()).await;
    let made = subscribe(&app, &gone, json!({"district_id": 98})).await;
    let gone_sid = made["id"].as_str().unwrap().to_owned();
    let kept = app.signed_up(&unique_email()).await;
    let kept_sub = subscribe(&app, &kept, json!({"district_id": 99})).await;
    let kept_sid = kept_sub["id"].as_str().unwrap().to_owned();
    let mut redis = app.redis().await;
    let p = app.prefix.clone();
    let raw = Raw::of(&p);
    let member = member_of(&mut redis, &raw, "d:98", &gone_sid).await;
    let uid = member.split(':').next().unwrap().to_owned();
    let _: u32 = redis.del(raw.user(&uid)).await.unwrap();
    let kept_member = member_of(&mut redis, &raw, "d:99", &kept_sid).await;
    let (part, field) = raw.index_entry("d:99", &kept_member);
    let _: u32 = redis.hset(part, field, "not filters").await.unwrap();
    let _: u32 = redis
        .hset(raw.mode("d:99"), &kept_member, "d")
        .await
        .unwrap();
    let _: u32 = redis.zadd(raw.targets(), "d:99", 7).await.unwrap();

    let (code, out) = check(&p, &[]).await;
    assert_eq!(code, 1, "{out}");
    let found = counts(&out);
    for (words, count) in [
        (STALE_ENTRY, 2), // Patna (from sign-up) and d:98
        (
            "index entries whose filters differ from their subscription's",
            1,
        ),
        (
            "mode flags (disarmed, no follow-up) that disagree with their subscription",
            1,
        ),
        ("watched targets whose subscription count is wrong", 1),
        ("sign-in tokens of users that do not exist", 1),
    ] {
        assert_eq!(found.get(words), Some(&count), "{words}:\n{out}");
    }
    let (code, out) = check(&p, &["--repair"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&p, &[]).await;
    assert_found(&out, &[]);
    assert_eq!(code, 0, "{out}");

    assert!(!fans_out_to(&app, "d:98", &gone_sid).await);
    assert!(fans_out_to(&app, "d:99", &kept_sid).await, "armed again");
    let r = app
        .authed(Method::GET, "/v1/subscriptions", &gone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "its token is gone");
    let score: Option<f64> = redis.zscore(raw.targets(), "d:99").await.unwrap();
    assert_eq!(score, Some(1.0));
}

#[tokio::test]
async fn check_with_an_unknown_flag_is_a_usage_error() {
    let out = tokio::process::Command::new(SERVER)
        .args(["check", "--fix"])
        .env_clear()
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'--fix'") && stderr.contains("redis-hack-server check"),
        "{stderr}"
    );
}
