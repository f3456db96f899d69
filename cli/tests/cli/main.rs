//! The `redis-hack` binary as a user runs it, with no server: shell
//! completions, manual pages, `--version`, and colour only on a terminal.
//! Commands that talk to a server are tested end to end in the server's
//! integration tests (`server/tests/api/cli*.rs`).

mod colour;
mod completions;
mod help;
mod man;
mod version;

use std::path::PathBuf;
use std::process::Command;

/// The binary, with a config directory of its own and no colour settings
/// inherited from whoever runs the tests.
pub fn redis_hack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redis-hack"));
    cmd.env("REDIS_HACK_CONFIG_DIR", scratch_dir("config"))
        .env("REDIS_HACK_SERVER", "http://127.0.0.1:9")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// A fresh, empty directory under the system's temp dir.
pub fn scratch_dir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rh-cli-test-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

/// Runs `cmd` and returns its exit code, stdout and stderr (as text).
pub fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().expect("run a command");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
