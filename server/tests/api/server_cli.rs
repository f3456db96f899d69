//! The `redis-hack-server` binary as an operator meets it: `--help` lists the
//! roles and the operator commands, a wrong role is a usage error naming the
//! choices, and its human log, written to a file, is plain text with fields a
//! person can read (colour only on a terminal, never with `NO_COLOR`).

use crate::helpers::{env_or_explain, hex};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SERVER: &str = env!("CARGO_BIN_EXE_redis-hack-server");

fn server(args: &[&str]) -> Output {
    Command::new(SERVER)
        .args(args)
        .env_clear()
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run redis-hack-server")
}

#[test]
fn help_lists_every_role_and_operator_command_with_a_description() {
    let out = server(&["--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    let described = |name: &str, marker: &str| {
        help.lines().any(|l| {
            l.trim_start()
                .strip_prefix(marker)
                .and_then(|rest| rest.strip_prefix(name))
                .is_some_and(|rest| rest.trim_start_matches(':').trim().len() > 10)
        })
    };
    for role in ["all", "api", "poller", "worker"] {
        assert!(
            described(role, "- "),
            "role {role} with a description:\n{help}"
        );
    }
    for command in ["dead-letters", "replay", "openapi", "check"] {
        assert!(
            described(command, ""),
            "command {command} with a description:\n{help}"
        );
    }
    assert!(
        help.contains("(the default)"),
        "all is the default:\n{help}"
    );
    let replay = server(&["replay", "--help"]);
    let replay = String::from_utf8(replay.stdout).unwrap();
    assert!(replay.contains("redis-hack-server replay <ID>"), "{replay}");
}

#[test]
fn an_unknown_role_is_a_usage_error_that_names_the_choices() {
    let out = server(&["scheduler"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("'scheduler'"), "{stderr}");
    assert!(stderr.contains("all, api, poller, worker"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn replay_without_an_id_is_a_usage_error() {
    let out = server(&["replay"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("<ID>"));
}

#[test]
fn openapi_still_prints_the_document_without_any_settings() {
    let out = server(&["openapi"]);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// The server's environment: its own key prefix, the test Redis and SMTP, the
/// simulator at `cowin`, and `TERM` set as in a terminal session.
fn settings(port: u16, cowin: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("TERM", "xterm-256color".into()),
        ("BIND_ADDR", format!("127.0.0.1:{port}")),
        ("REDIS_URL", env_or_explain("TEST_REDIS_URL")),
        ("REDIS_KEY_PREFIX", format!("t{}:", hex(6))),
        ("SMTP_URL", env_or_explain("TEST_SMTP_URL")),
        ("COWIN_API_URL", cowin.to_owned()),
    ]
}

/// Polls `url` until it answers 200, for at most 15 s.
async fn until_ready(url: &str, child: &mut tokio::process::Child) {
    for _ in 0..150 {
        if reqwest::get(url).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited while starting: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer 200 within 15 s");
}

#[tokio::test]
async fn the_human_log_in_a_file_has_no_colour_codes_and_readable_fields() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = cowin_sim::Simulator::start(listener).await;
    let port = free_port();
    let path = std::env::temp_dir().join(format!("rh-server-log-{}.log", hex(6)));
    let file = std::fs::File::create(&path).unwrap();
    let mut child = tokio::process::Command::new(SERVER)
        .env_clear()
        .envs(settings(port, &sim.base_url()))
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .expect("start redis-hack-server");
    let base = format!("http://127.0.0.1:{port}");
    until_ready(&format!("{base}/readyz"), &mut child).await;
    let states = reqwest::get(format!("{base}/v1/states")).await.unwrap();
    assert_eq!(states.status(), 200);
    let missing = reqwest::get(format!("{base}/v1/states/999/districts"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stopped = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    assert!(
        stopped.is_ok(),
        "the server did not stop within 30 s of SIGTERM"
    );

    let log = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let text = String::from_utf8_lossy(&log);
    assert!(
        !log.contains(&0x1b),
        "an escape code in the log file:\n{text}"
    );
    for line in text.lines() {
        assert!(!line.contains("{ "), "a Debug struct in the log: {line}");
    }
    let listening = text
        .lines()
        .find(|l| l.contains("listening"))
        .unwrap_or_else(|| panic!("no 'listening' line:\n{text}"));
    assert!(
        listening.contains(&format!("addr=127.0.0.1:{port}"))
            && listening.contains("roles=api,poller,worker"),
        "{listening}"
    );
    assert!(text.lines().any(|l| l.contains("stopped")), "{text}");
}

/// Runs the server's `api` role in a pseudo-terminal (util-linux `script`)
/// until it is ready, stops it, and returns what the terminal showed.
fn on_a_terminal(no_color: Option<&str>) -> String {
    let port = free_port();
    let ready = format!("http://127.0.0.1:{port}/readyz");
    let shell = format!(
        "'{SERVER}' api & pid=$!; i=0; \
         until curl -fsS -o /dev/null '{ready}'; do i=$((i+1)); [ $i -lt 150 ] || break; sleep 0.1; done; \
         kill -TERM $pid; wait $pid"
    );
    let mut script = Command::new("script");
    script
        .args(["--quiet", "--return", "--command", &shell, "/dev/null"])
        .env_clear()
        .envs(settings(port, "http://127.0.0.1:9/api/v2"))
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    if let Some(v) = no_color {
        script.env("NO_COLOR", v);
    }
    let out = script
        .output()
        .expect("script (util-linux) runs a command in a pseudo-terminal: scripts/test.sh installs bsdutils");
    assert!(out.status.success(), "{out:?}");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(shown.contains("listening"), "{shown}");
    shown
}

#[test]
fn the_log_is_coloured_on_a_terminal_unless_no_color_is_set() {
    assert!(on_a_terminal(None).contains('\x1b'), "colour on a terminal");
    let plain = on_a_terminal(Some("1"));
    assert!(
        !plain.contains('\x1b'),
        "no colour with NO_COLOR=1:\n{plain}"
    );
}
