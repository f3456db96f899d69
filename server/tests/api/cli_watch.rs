//! `redis-hack watch --json` through the real binary: it prints each event of
//! the live feed as one JSON object per line, and when the server restarts
//! (same Redis, same port) it reconnects by itself and resumes after the last
//! event it printed: nothing lost, nothing printed twice.

use crate::cli::Cli;
use crate::feed::{opened, push, store_of, uid_of};
use crate::helpers::{TestApp, env_or_explain, spawn_app};
use crate::pty::{CTRL_C, Terminal};
use redis_hack_server::app::Roles;
use redis_hack_server::{Application, Settings};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout};
use tokio::task::JoinHandle;

/// An API server on `addr` over the keys of `app` (so it can be stopped and
/// started again on the same port); returns its URL, how to stop it, and
/// its task, which ends once it has stopped.
async fn server_on(
    app: &TestApp,
    addr: &str,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
) {
    let vars: HashMap<&str, String> = HashMap::from([
        ("BIND_ADDR", addr.to_owned()),
        ("REDIS_URL", env_or_explain("TEST_REDIS_URL")),
        ("REDIS_KEY_PREFIX", app.prefix.clone()),
        ("SMTP_URL", env_or_explain("TEST_SMTP_URL")),
        (
            "MAIL_FROM",
            "redis-hack tests <tests@redis-hack.test>".into(),
        ),
        ("COWIN_API_URL", app.sim.base_url()),
    ]);
    let settings = Settings::from_vars(|k| vars.get(k).cloned()).unwrap();
    let server = Application::build(settings, Roles::API).await.unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        stopped.await.ok();
    }));
    (url, stop, task)
}

/// `redis-hack watch --json` running, its stdout and stderr read line by line.
struct Watch {
    child: Child,
    out: Lines<BufReader<ChildStdout>>,
    err: Lines<BufReader<ChildStderr>>,
}

impl Watch {
    fn start(cli: &Cli) -> Self {
        Self::start_with(cli, &["watch", "--json"])
    }

    fn start_with(cli: &Cli, args: &[&str]) -> Self {
        let mut child = cli
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run redis-hack watch");
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        let err = BufReader::new(child.stderr.take().unwrap()).lines();
        Self { child, out, err }
    }

    /// Ctrl-C: its exit code and whatever it printed on stdout after.
    async fn interrupt(mut self) -> (Option<i32>, Vec<String>) {
        let pid = self.child.id().expect("watch is running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("watch stops on Ctrl-C")
            .unwrap();
        let mut rest = Vec::new();
        while let Some(line) = self.out.next_line().await.unwrap() {
            rest.push(line);
        }
        (status.code(), rest)
    }

    /// Waits (up to 30 s) for a stderr line containing `text`.
    async fn said(&mut self, text: &str) -> String {
        let wait = async {
            while let Some(line) = self.err.next_line().await.unwrap() {
                if line.contains(text) {
                    return line;
                }
            }
            panic!("watch ended before saying '{text}'");
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("watch did not say '{text}' within 30 s"))
    }

    /// The next line of stdout (up to 30 s: reconnecting backs off).
    async fn line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(30), self.out.next_line())
            .await
            .expect("an event within 30 s")
            .unwrap()
            .expect("watch is still running")
    }

    /// The next line of stdout, as JSON.
    async fn event(&mut self) -> Value {
        let line = self.line().await;
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"))
    }
}

#[tokio::test]
async fn watch_json_prints_each_event_and_resumes_after_a_server_restart_without_loss_or_repeats() {
    let app = spawn_app().await;
    let (url, stop, task) = server_on(&app, "127.0.0.1:0").await;
    let cli = Cli::new(&url);
    let email = cli.sign_in(&app).await;
    let (store, uid) = (store_of(&app.prefix).await, uid_of(&app, &email).await);
    let mut watch = Watch::start(&cli);
    watch.said("Watching for alerts").await;

    push(&store, &uid, &[opened("e1")]).await;
    let first = watch.event().await;
    assert_eq!(
        (&first["type"], &first["alert_id"]),
        (&Value::from("slots.opened"), &Value::from("e1"))
    );
    assert_eq!(
        first["target"]["district_id"], 97,
        "the event as the server sent it"
    );

    // The server goes away; events keep being stored meanwhile.
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    watch.said("reconnecting").await;
    push(&store, &uid, &[opened("e2"), opened("e3")]).await;
    let addr = url.trim_start_matches("http://");
    let (_url, _stop, _task) = server_on(&app, addr).await;
    push(&store, &uid, &[opened("e4")]).await;

    watch.said("Reconnected; resuming after event").await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(watch.event().await["alert_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        got,
        ["e2", "e3", "e4"],
        "resumed after e1: nothing lost or repeated"
    );
    push(&store, &uid, &[opened("e5")]).await;
    assert_eq!(
        watch.event().await["alert_id"],
        "e5",
        "and e4 was not printed again"
    );
    let (code, rest) = watch.interrupt().await;
    assert_eq!(code, Some(130));
    assert!(
        rest.is_empty(),
        "Ctrl-C adds nothing to the NDJSON on stdout: {rest:?}"
    );
}

#[tokio::test]
async fn watch_rings_the_bell_at_a_terminal_but_never_in_a_pipe_and_ctrl_c_stops_it() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = cli.sign_in(&app).await;
    let (store, uid) = (store_of(&app.prefix).await, uid_of(&app, &email).await);

    let mut piped = Watch::start_with(&cli, &["watch"]);
    piped.said("Watching for alerts").await;
    let mut terminal = Terminal::start(&cli, &["watch"]);
    terminal.expect("Watching for alerts").await;
    push(&store, &uid, &[opened("ring")]).await;
    let line = piped.line().await;
    assert!(
        line.contains("  OPENED  ") && line.contains("district 97") && !line.contains('\x07'),
        "one line, no bell in a pipe: {line:?}"
    );
    terminal.expect("OPENED").await;
    terminal.expect("\x07").await;
    terminal.send(CTRL_C).await;
    let (code, _) = terminal.finish().await;
    assert_eq!(code, Some(130), "Ctrl-C stops it as every command");
}

/// The same as a user sees it after an opening upstream; needs w12-a's
/// fan-out into the feed.
#[tokio::test]
async fn watch_json_prints_an_opening_the_simulator_makes() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    cli.sign_in(&app).await; // watches Patna (97)
    let (poller, _, _) = crate::simulated::pipeline(&app.prefix, &app.sim.base_url(), &[]).await;
    let now = redis_hack_server::store::now_ms();
    poller.poll_once(now).await.unwrap();
    let mut watch = Watch::start(&cli);
    watch.said("Watching for alerts").await;
    crate::open_now::open_patna(&app, 7).await;
    poller.poll_once(now + 70_000).await.unwrap();
    let event = watch.event().await;
    assert_eq!(event["type"], "slots.opened", "{event}");
    assert_eq!(event["target"]["district_id"], 97, "{event}");
}
