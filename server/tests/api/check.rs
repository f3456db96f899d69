//! `redis-hack-server check [--repair]` (issue 14 point 3): nothing to report
//! on a store built through the API; after a user action cut short between
//! two of its writes it reports exactly that half-done item, `--repair`
//! repairs it from the user document (the source of truth), and a second
//! `check` is clean.
//!
//! The half-done states are made two ways: by a server process that aborts
//! at a failpoint (`REDIS_HACK_FAILPOINT`, set between the writes by the
//! layout 2 write ordering), and by removing the second write's keys directly,
//! which needs no failpoint (the failpoint tests are in `check_crash.rs`).
//! Raw key names come from `Raw` alone.

use crate::helpers::{TestApp, code_in, env_or_explain, spawn_app, spawn_app_with, unique_email};
use crate::open_now::{NO_WAIT, alerts_to, bare_user, open_patna, subscribe};
use crate::simulated::pipeline;
use crate::subscriptions::listed;
use redis::AsyncCommands;
use redis_hack_server::store::{Conn, Store, now_ms};
use redis_hack_shared::TargetKey;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::BTreeMap;

pub(crate) const SERVER: &str = env!("CARGO_BIN_EXE_redis-hack-server");

pub(crate) const NOT_INDEXED: &str = "subscriptions missing from their target's index";
const STALE_ENTRY: &str = "index entries whose subscription is gone";
pub(crate) const NO_LOOKUP: &str = "users whose address has no email lookup";

/// Raw key names under one prefix, in the layout its `{p}layout` names:
/// layout 1 writes `idx:d:97`, layout 2 (issue 14) tags each key with its
/// group, `idx:{d:97}`. The only place this test names keys.
struct Raw {
    prefix: String,
    tagged: bool,
}

impl Raw {
    async fn of(redis: &mut Conn, prefix: &str) -> Self {
        let layout: Option<String> = redis.get(format!("{prefix}layout")).await.unwrap();
        Self {
            prefix: prefix.to_owned(),
            tagged: layout.as_deref() != Some("1"),
        }
    }

    fn group(&self, kind: &str, tag: &str) -> String {
        match self.tagged {
            true => format!("{}{kind}:{{{tag}}}", self.prefix),
            false => format!("{}{kind}:{tag}", self.prefix),
        }
    }

    fn index(&self, target: &str) -> String {
        self.group("idx", target)
    }

    fn mode(&self, target: &str) -> String {
        self.group("mode", target)
    }

    fn user(&self, uid: &str) -> String {
        self.group("user", uid)
    }

    fn targets(&self) -> String {
        format!("{}targets", self.prefix)
    }

    /// Removes the email lookup of `email`, as if verify stopped before
    /// writing it: a key of its own (`email:{email}`), or a field of its
    /// bucket hash (`em:{B}`, B the first 17 bits of the address's SHA-256).
    async fn drop_email_lookup(&self, redis: &mut Conn, email: &str) {
        let key: u32 = redis
            .del(format!("{}email:{email}", self.prefix))
            .await
            .unwrap();
        let digest = sha2::Sha256::digest(email.as_bytes());
        let head = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let bucket = format!("{}em:{{{:05x}}}", self.prefix, head >> 15);
        let field: u32 = redis.hdel(bucket, email).await.unwrap();
        assert_eq!(key + field, 1, "the lookup of {email} was there");
    }
}

/// `redis-hack-server check [args]` on `prefix`: its exit code and what it printed.
pub(crate) async fn check(prefix: &str, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(SERVER)
        .arg("check")
        .args(args)
        .env_clear()
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", prefix)
        .env("SMTP_URL", env_or_explain("TEST_SMTP_URL"))
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .expect("run redis-hack-server check");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().expect("check exits by itself");
    assert!(code == 0 || code == 1, "exit {code}: {stdout}{stderr}");
    (code, stdout)
}

/// The count of each kind `check` reported, by its words.
fn counts(out: &str) -> BTreeMap<String, u64> {
    out.lines()
        .filter_map(|line| {
            let (words, rest) = line.rsplit_once(": ")?;
            let count = rest.split(' ').next()?.parse().ok()?;
            Some((words.to_owned(), count))
        })
        .collect()
}

/// Asserts that `out` reports exactly `expected` (kind, count) and zero of every other kind.
fn assert_found(out: &str, expected: &[(&str, u64)]) {
    let counts = counts(out);
    assert!(counts.len() >= 10, "a line per kind:\n{out}");
    for (words, count) in &counts {
        let want = expected
            .iter()
            .find(|(w, _)| w == words)
            .map_or(0, |(_, n)| *n);
        assert_eq!(*count, want, "{words}:\n{out}");
    }
    for (words, _) in expected {
        assert!(counts.contains_key(*words), "no line '{words}':\n{out}");
    }
}

/// `check` finds exactly `expected` (exit 1), `check --repair` repairs all of
/// it (exit 0), and `check` then finds nothing.
pub(crate) async fn found_then_repaired(prefix: &str, expected: &[(&str, u64)]) {
    let (code, out) = check(prefix, &[]).await;
    assert_found(&out, expected);
    assert_eq!(code, 1, "unrepaired: {out}");
    assert!(
        out.contains("run redis-hack-server check --repair"),
        "{out}"
    );
    let (code, out) = check(prefix, &["--repair"]).await;
    assert_found(&out, expected);
    assert_eq!(code, 0, "all repaired: {out}");
    assert!(out.trim_end().ends_with("all repaired."), "{out}");
    let (code, out) = check(prefix, &[]).await;
    assert_found(&out, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No inconsistencies"), "{out}");
}

pub(crate) fn ids(subs: &[Value]) -> Vec<&str> {
    subs.iter().map(|s| s["id"].as_str().unwrap()).collect()
}

/// The index member `{uid}:{sid}` of subscription `sid` on `target`.
async fn member_of(redis: &mut Conn, raw: &Raw, target: &str, sid: &str) -> String {
    let members: Vec<String> = redis.hkeys(raw.index(target)).await.unwrap();
    members
        .into_iter()
        .find(|m| m.ends_with(&format!(":{sid}")))
        .unwrap_or_else(|| panic!("{sid} is not in the index of {target}"))
}

/// Whether the fan-out of `target` (what the poller alerts) includes `sid`.
pub(crate) async fn fans_out_to(app: &TestApp, target: &str, sid: &str) -> bool {
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    let target = TargetKey::parse(target).unwrap();
    let subscribers = store.subscribers_of(&target).await.unwrap();
    subscribers.iter().any(|s| s.sid.as_str() == sid)
}

/// Takes the index entry and mode flags of `member` off `target`, as the
/// first write of an unsubscribe does.
async fn unindex(redis: &mut Conn, raw: &Raw, target: &str, member: &str) {
    let removed: u32 = redis.hdel(raw.index(target), member).await.unwrap();
    assert_eq!(removed, 1);
    let _: u32 = redis.hdel(raw.mode(target), member).await.unwrap();
}

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
    let raw = Raw::of(&mut redis, &app.prefix).await;
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
    let raw = Raw::of(&mut redis, &app.prefix).await;
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

/// A verify cut short after the user document (no email lookup yet): the
/// repair writes the lookup, so signing in again reaches that same user
/// instead of making a second one.
#[tokio::test]
async fn a_verify_cut_short_before_the_lookup_gets_its_lookup_back() {
    let app = spawn_app_with(BEHIND_A_PROXY).await;
    let email = unique_email();
    let token = app.signed_up(&email).await;
    let before = listed(&app, &token).await;
    let mut redis = app.redis().await;
    let raw = Raw::of(&mut redis, &app.prefix).await;
    raw.drop_email_lookup(&mut redis, &email).await;

    found_then_repaired(&app.prefix, &[(NO_LOOKUP, 1)]).await;

    let again = sign_in_again(&app, &email).await;
    assert_eq!(
        ids(&listed(&app, &again).await),
        ids(&before),
        "the same user"
    );
    let (code, out) = check(&app.prefix, &[]).await;
    assert_eq!(code, 0, "no second user: {out}");
}

/// Lets `sign_in_again` come from another client (`X-Forwarded-For`), past
/// the limit of one code per address and client a minute.
pub(crate) const BEHIND_A_PROXY: &[(&str, &str)] = &[("TRUSTED_PROXIES", "127.0.0.1")];

/// Signs `email` in once more (a second code, asked from another client);
/// returns the new token. The app runs with `BEHIND_A_PROXY`.
pub(crate) async fn sign_in_again(app: &TestApp, email: &str) -> String {
    let sent = app.mail.messages_to(email).await.len();
    let r = app
        .http
        .post(app.url("/v1/register"))
        .header("x-forwarded-for", "10.1.2.3")
        .json(&json!({"email": email, "state": "Bihar", "district": "Patna"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let code = code_in(app.mail.wait_for(email, sent + 1).await.last().unwrap());
    let r = app
        .post("/v1/verify", &json!({"email": email, "code": code}))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A user document deleted by hand leaves its index entries, lookup and token
/// behind (and its `ver:` key, in a layout that has one: counted with the
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
    let raw = Raw::of(&mut redis, &p).await;
    let member = member_of(&mut redis, &raw, "d:98", &gone_sid).await;
    let uid = member.split(':').next().unwrap().to_owned();
    let _: u32 = redis.del(raw.user(&uid)).await.unwrap();
    let kept_member = member_of(&mut redis, &raw, "d:99", &kept_sid).await;
    let _: u32 = redis
        .hset(raw.index("d:99"), &kept_member, "not filters")
        .await
        .unwrap();
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
        ("email lookups that name no user with that address", 1),
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
