//! End to end through the real `redis-hack` binary, as a user runs it without
//! a terminal: register, read the code from the mail, verify, subscribe, list
//! (and the 304 path), unsubscribe, logout; and its errors.

use crate::helpers::{TestApp, hex, spawn_app, unique_email};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

/// The CLI binary built next to this test binary (`scripts/test.sh` builds all binaries first).
pub(crate) fn cli_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("redis-hack");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p redis-hack` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// One user's CLI: its own config directory, pointed at `server`.
pub struct Cli {
    server: String,
    pub(crate) config_dir: PathBuf,
}

impl Cli {
    pub fn new(server: &str) -> Self {
        let config_dir = std::env::temp_dir().join(format!("rh-cli-{}", hex(6)));
        Self {
            server: server.to_owned(),
            config_dir,
        }
    }

    /// The environment every run of this user's CLI gets.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("REDIS_HACK_SERVER", self.server.clone().into()),
            ("REDIS_HACK_CONFIG_DIR", self.config_dir.clone().into()),
            ("NO_COLOR", "1".into()),
        ]
    }

    /// `redis-hack ARGS` without a terminal, ready to be changed and run.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(cli_bin());
        command
            .args(args)
            .envs(self.env())
            .stdin(std::process::Stdio::null());
        command
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("run redis-hack")
    }

    /// Runs a command that must succeed and returns its stdout as JSON.
    pub async fn json(&self, args: &[&str]) -> (Value, String) {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.run(&all).await;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "redis-hack {args:?} failed: {stderr}");
        let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of {args:?} is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (value, stderr)
    }

    /// Registers and verifies a new address through this CLI; returns it.
    pub async fn sign_in(&self, app: &TestApp) -> String {
        let email = unique_email();
        self.json(&[
            "register",
            "--email",
            &email,
            "--state",
            "Bihar",
            "--district",
            "Patna",
        ])
        .await;
        let code = app.mail.code_for(&email).await;
        self.json(&["verify", "--email", &email, "--code", &code])
            .await;
        email
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.config_dir).ok();
    }
}

/// Asserts `out` exited with `code` and returns its stderr.
pub(crate) fn failure(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {stderr}");
    stderr
}

#[tokio::test]
async fn a_user_registers_verifies_subscribes_lists_unsubscribes_and_logs_out() {
    let app: TestApp = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let email = unique_email();

    let (sent, _) = cli
        .json(&[
            "register",
            "--email",
            &email,
            "--state",
            "Bihar",
            "--district",
            "Patna",
        ])
        .await;
    assert_eq!(sent["expires_in_secs"], 600);
    let code = app.mail.code_for(&email).await;

    let out = cli
        .run(&["verify", "--email", &email, "--code", &code, "--json"])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("rh_"),
        "the token is never printed"
    );
    let verified: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        verified["subscriptions"][0]["target"]["district_name"],
        "Patna"
    );
    assert_token_files_are_private(&cli.config_dir);

    let (sub, _) = cli
        .json(&[
            "subscribe",
            "--pincode",
            "110001",
            "--age",
            "18",
            "--dose",
            "1",
            "--fee",
            "free",
        ])
        .await;
    assert_eq!(sub["target"]["pincode"], "110001");
    assert_eq!(sub["filters"]["age"], 18);

    let (listed, stderr) = cli.json(&["list"]).await;
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 2);
    assert!(
        !stderr.contains("unchanged"),
        "the first list is fresh: {stderr}"
    );
    let (again, stderr) = cli.json(&["list"]).await;
    assert!(
        stderr.contains("unchanged"),
        "the second list is a 304 served from the cache: {stderr}"
    );
    assert_eq!(again["subscriptions"], listed["subscriptions"]);

    let table = cli.run(&["list"]).await;
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("Patna") && table.contains("110001"),
        "{table}"
    );

    let id = sub["id"].as_str().unwrap();
    cli.json(&["unsubscribe", id]).await;
    let (listed, _) = cli.json(&["list"]).await;
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 1);

    cli.json(&["logout"]).await;
    let stderr = failure(&cli.run(&["list"]).await, 1);
    assert!(stderr.contains("nobody is signed in"), "{stderr}");
}

fn assert_token_files_are_private(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut found = false;
    for entry in walk(dir) {
        if std::fs::read_to_string(&entry).is_ok_and(|s| s.contains("rh_")) {
            found = true;
            let mode = std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} holds the token", entry.display());
        }
    }
    assert!(found, "verify saved a token under {}", dir.display());
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

#[tokio::test]
async fn the_cli_explains_bad_input_in_one_sentence() {
    let app = spawn_app().await;
    let cli = Cli::new(&app.base_url);
    let stderr = failure(
        &cli.run(&["register", "--state", "Bihar", "--district", "Patna"])
            .await,
        2,
    );
    assert!(
        stderr.contains("--email"),
        "a missing flag is named without a terminal: {stderr}"
    );
    let stderr = failure(
        &cli.run(&[
            "register",
            "--email",
            "nope",
            "--state",
            "Bihar",
            "--district",
            "Patna",
        ])
        .await,
        2,
    );
    assert!(
        stderr.contains("nope") && stderr.starts_with("error:"),
        "{stderr}"
    );
    let stderr = failure(
        &cli.run(&[
            "register",
            "--email",
            &unique_email(),
            "--state",
            "Bihr",
            "--district",
            "Patna",
        ])
        .await,
        1,
    );
    assert!(
        stderr.contains("Bihar"),
        "the closest state is suggested: {stderr}"
    );
    let stderr = failure(
        &cli.run(&["verify", "--email", &unique_email(), "--code", "000000"])
            .await,
        1,
    );
    assert!(stderr.contains("register again"), "{stderr}");
    let stderr = failure(&cli.run(&["list"]).await, 1);
    assert!(stderr.contains("nobody is signed in"), "{stderr}");
    failure(&cli.run(&["list", "--no-such-flag"]).await, 2);
}

#[tokio::test]
async fn the_cli_says_when_the_server_cannot_be_reached() {
    let cli = Cli::new("http://127.0.0.1:9");
    let stderr = failure(
        &cli.run(&[
            "register",
            "--email",
            &unique_email(),
            "--district-id",
            "97",
        ])
        .await,
        1,
    );
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
}
