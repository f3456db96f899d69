//! What the `check` tests share (`check.rs`, `check_crash.rs`): running
//! `redis-hack-server check` and reading its report, the raw key names the
//! tests break by hand (`Raw`, the only place they name keys), and signing a
//! user in again from another client.

use crate::helpers::{TestApp, code_in, env_or_explain};
use redis::AsyncCommands;
use redis_hack_server::store::{Conn, Store};
use redis_hack_shared::TargetKey;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) const SERVER: &str = env!("CARGO_BIN_EXE_redis-hack-server");

pub(crate) const NOT_INDEXED: &str = "subscriptions missing from their target's index";
pub(crate) const STALE_ENTRY: &str = "index entries whose subscription is gone";
pub(crate) const WRONG_UID: &str = "users at a uid their address does not lead to";

/// Raw key names under one prefix: each key tagged with its group
/// (`idx:{d:97}0`, as from layout 2 on). The only place these tests name keys.
pub(crate) struct Raw {
    prefix: String,
}

impl Raw {
    pub(crate) fn of(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    fn group(&self, kind: &str, tag: &str) -> String {
        format!("{}{kind}:{{{tag}}}", self.prefix)
    }

    /// The 16 parts of `target`'s index (`idx:{d:97}0` .. `f`).
    pub(crate) fn index_parts(&self, target: &str) -> Vec<String> {
        "0123456789abcdef"
            .chars()
            .map(|part| format!("{}{part}", self.group("idx", target)))
            .collect()
    }

    /// Where member `{uid}:{sid}` of `target`'s index is: the part of the
    /// uid's first hex digit, field the uid's 8 bytes then the sid.
    pub(crate) fn index_entry(&self, target: &str, member: &str) -> (String, Vec<u8>) {
        let (uid, sid) = member.split_once(':').unwrap();
        let part = format!("{}{}", self.group("idx", target), &uid[..1]);
        let mut field = hex::decode(uid).unwrap();
        field.extend_from_slice(sid.as_bytes());
        (part, field)
    }

    pub(crate) fn mode(&self, target: &str) -> String {
        self.group("mode", target)
    }

    pub(crate) fn user(&self, uid: &str) -> String {
        self.group("user", uid)
    }

    pub(crate) fn targets(&self) -> String {
        format!("{}targets", self.prefix)
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
pub(crate) fn counts(out: &str) -> BTreeMap<String, u64> {
    out.lines()
        .filter_map(|line| {
            let (words, rest) = line.rsplit_once(": ")?;
            let count = rest.split(' ').next()?.parse().ok()?;
            Some((words.to_owned(), count))
        })
        .collect()
}

/// Asserts that `out` reports exactly `expected` (kind, count) and zero of every other kind.
pub(crate) fn assert_found(out: &str, expected: &[(&str, u64)]) {
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

/// Every member `{uid}:{sid}` of `target`'s index, from the fields of its parts.
pub(crate) async fn members(redis: &mut Conn, raw: &Raw, target: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in raw.index_parts(target) {
        let fields: Vec<Vec<u8>> = redis.hkeys(part).await.unwrap();
        // Shorter fields are no entry (the tests plant such junk).
        for field in fields.into_iter().filter(|f| f.len() > 8) {
            let (uid, sid) = field.split_at(8);
            out.push(format!(
                "{}:{}",
                hex::encode(uid),
                String::from_utf8_lossy(sid)
            ));
        }
    }
    out
}

/// The index member `{uid}:{sid}` of subscription `sid` on `target`.
pub(crate) async fn member_of(redis: &mut Conn, raw: &Raw, target: &str, sid: &str) -> String {
    members(redis, raw, target)
        .await
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
pub(crate) async fn unindex(redis: &mut Conn, raw: &Raw, target: &str, member: &str) {
    let (part, field) = raw.index_entry(target, member);
    let removed: u32 = redis.hdel(part, field).await.unwrap();
    assert_eq!(removed, 1);
    let _: u32 = redis.hdel(raw.mode(target), member).await.unwrap();
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
