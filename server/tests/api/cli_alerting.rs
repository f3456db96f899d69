//! How alerts behave, from the real `redis-hack` binary: `subscribe --once
//! --no-followup --quiet --tz` round-trips into `list` (JSON and text),
//! bad `--quiet` / `--tz` values are usage errors in one sentence, `rearm`
//! of an id you do not have says so, and (with the server's open-right-now)
//! `subscribe` and `rearm` print what is open right now.

use crate::cli::{Cli, failure};
use crate::helpers::{TestApp, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn once_no_followup_quiet_and_tz_round_trip_into_list() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    cli.sign_in(&app).await;
    let flags = [
        "subscribe",
        "--pincode",
        "800001",
        "--once",
        "--no-followup",
        "--quiet",
        "22:00-07:00",
        "--tz",
        "Europe/Berlin",
    ];
    let (created, _) = cli.json(&flags).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (listed, _) = cli.json(&["list"]).await;
    let sub = listed["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("the new subscription is listed")
        .clone();
    for (field, want) in [
        ("once", Value::from(true)),
        ("armed", Value::from(true)),
        ("followup", Value::from(false)),
        ("quiet", Value::from("22:00-07:00")),
        ("tz", Value::from("Europe/Berlin")),
    ] {
        assert_eq!(created[field], want, "subscribe --json: {field}");
        assert_eq!(sub[field], want, "list --json: {field}");
    }
    let out = cli.run(&["list"]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let row = text.lines().find(|l| l.starts_with(&id)).expect("a row");
    assert!(
        row.contains("once, armed; quiet 22:00-07:00 Europe/Berlin; no follow-up"),
        "{text}"
    );
    assert!(text.lines().next().unwrap().ends_with("MODE"), "{text}");
    let patna = text.lines().find(|l| l.contains("district 97")).unwrap();
    assert!(
        patna.trim_end().ends_with(" -"),
        "the default mode is a dash: {patna}"
    );
}

#[tokio::test]
async fn a_bad_quiet_window_or_zone_is_a_usage_error_in_one_sentence() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    for (flag, value, says) in [
        ("--quiet", "25:00-07:00", "'25:00' is not a time of day"),
        ("--quiet", "22:00", "quiet hours look like 22:00-07:00"),
        ("--tz", "Mars/Olympus", "'Mars/Olympus' is not a time zone"),
    ] {
        let out = cli
            .run(&["subscribe", "--pincode", "800001", flag, value])
            .await;
        let stderr = failure(&out, 2);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("'{flag} <")) && first.contains(says),
            "one sentence naming the flag and the problem: {stderr}"
        );
        let out = cli
            .run(&["subscribe", "--pincode", "800001", flag, value, "--json"])
            .await;
        failure(&out, 2);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["code"], "usage");
    }
}

#[tokio::test]
async fn rearm_of_an_unknown_or_someone_elses_id_says_so() {
    let app = spawn_app().await;
    let (me, them) = (Cli::new(&app.base_url), Cli::new(&app.base_url));
    me.sign_in(&app).await;
    them.sign_in(&app).await;
    let (theirs, _) = them
        .json(&["subscribe", "--pincode", "110001", "--once"])
        .await;
    let their_id = theirs["id"].as_str().unwrap();
    for id in ["s00000000", their_id] {
        let out = me.run(&["rearm", id]).await;
        let stderr = failure(&out, 1);
        assert!(
            stderr.contains(&format!("you have no subscription {id} to rearm")),
            "{stderr}"
        );
        let out = me.run(&["rearm", id, "--json"]).await;
        failure(&out, 1);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["code"], "not_found");
    }
}

/// Opens a Patna session in the simulator and lets a poller see it.
async fn patna_open(app: &TestApp) -> String {
    let (poller, _, _) = crate::simulated::pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let opened: Value = crate::open_now::open_patna(app, 7).await;
    poller
        .poll_once(redis_hack_server::store::now_ms())
        .await
        .unwrap();
    opened["center"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn subscribe_and_rearm_print_what_is_open_right_now() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    cli.sign_in(&app).await;
    let centre = patna_open(&app).await;
    let out = cli
        .run(&["subscribe", "--district-id", "97", "--dose", "1", "--once"])
        .await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("open right now (checked ") && text.contains(&centre),
        "{text}"
    );
    assert!(text.contains("dose 1: 7"), "{text}");
    let id = text
        .split_whitespace()
        .find(|w| w.starts_with('s') && w.ends_with('.') && w.len() > 5)
        .map(|w| w.trim_end_matches('.').to_owned())
        .expect("the id");
    let out = cli.run(&["rearm", &id]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("open right now") && text.contains(&centre),
        "{text}"
    );
    let (json, _) = cli.json(&["rearm", &id]).await;
    assert!(json["open_now"].is_array(), "{json}");
    let (json, _) = cli.json(&["subscribe", "--pincode", "999999"]).await;
    assert_eq!(json["open_now"], Value::Array(Vec::new()), "{json}");
}
