//! The layout version: a fresh prefix is stamped with this server's layout
//! when the server starts, and the real `redis-hack-server` binary refuses
//! (exit 1, one sentence saying what to do) a store stamped with another
//! one, leaving the stamp as it found it.

use crate::helpers::{env_or_explain, hex, spawn_app};
use redis::AsyncCommands;
use redis_hack_server::store::{Client, Conn, LAYOUT_VERSION};
use std::process::{Output, Stdio};
use std::time::Duration;

async fn redis() -> Conn {
    Client::open(&env_or_explain("TEST_REDIS_URL"))
        .expect("TEST_REDIS_URL")
        .connect()
        .await
        .expect("connect to the test Redis")
}

/// The server binary, all roles, on `prefix`; killed if it is still running
/// after 30 s (it would be serving, not refusing).
async fn server_on(prefix: &str) -> Output {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
        .env_clear()
        .env("REDIS_URL", env_or_explain("TEST_REDIS_URL"))
        .env("REDIS_KEY_PREFIX", prefix)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SMTP_URL", env_or_explain("TEST_SMTP_URL"))
        .env("LOG", "off")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run redis-hack-server");
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the server should refuse to start, not keep running")
        .expect("wait for redis-hack-server")
}

/// Stamps a fresh prefix with `stored` and runs the server on it.
async fn refused(stored: &str) -> (String, String) {
    let prefix = format!("test:{}:", hex(6));
    let key = format!("{prefix}layout");
    let mut redis = redis().await;
    let () = redis.set(&key, stored).await.unwrap();
    let out = server_on(&prefix).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let kept: String = redis.get(&key).await.unwrap();
    assert_eq!(kept, stored, "the refusal leaves the stamp as it was");
    (prefix, stderr)
}

#[tokio::test]
async fn a_fresh_prefix_gets_this_layout_version_at_start() {
    assert_eq!(LAYOUT_VERSION, 4);
    let app = spawn_app().await;
    let stored: Option<String> = app
        .redis()
        .await
        .get(format!("{}layout", app.prefix))
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some("4"));
}

#[tokio::test]
async fn the_server_refuses_a_store_of_another_layout_and_says_what_to_do() {
    // 1: 0.1 and 0.2; 2: subscriptions under `s` in the user document; 3:
    // one index hash per target, text index members and token records.
    for older in ["1", "2", "3"] {
        let (prefix, stderr) = refused(older).await;
        assert_eq!(
            stderr,
            format!(
                "error: the store under prefix '{prefix}' has layout version {older} but this \
                 redis-hack-server reads layout 4: run a redis-hack-server of the release that \
                 wrote it, or point REDIS_KEY_PREFIX at an empty prefix"
            )
        );
    }
}

#[tokio::test]
async fn a_layout_version_that_is_not_a_number_is_refused_the_same_way() {
    let (prefix, stderr) = refused("v1").await;
    assert!(
        stderr.contains(&format!(
            "the store under prefix '{prefix}' has layout version 'v1' (not a number) but this redis-hack-server reads layout 4"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("REDIS_KEY_PREFIX"), "{stderr}");
}

#[tokio::test]
async fn a_store_of_0_1_without_a_stamp_is_refused_as_layout_1() {
    let prefix = format!("test:{}:", hex(6));
    let mut redis = redis().await;
    let () = redis
        .zadd(format!("{prefix}targets"), "d:97", 1)
        .await
        .unwrap();
    let out = server_on(&prefix).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has layout version 1 but this redis-hack-server reads layout 4"),
        "{stderr}"
    );
    let stamp: Option<String> = redis.get(format!("{prefix}layout")).await.unwrap();
    assert_eq!(stamp, None, "an unknown store is left unstamped");
}
