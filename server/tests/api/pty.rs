//! A person at a terminal, for the CLI's prompts, pickers and spinners:
//! `script` (util-linux, which `scripts/lib.sh` already requires) runs the
//! real `redis-hack` on a new pseudo-terminal; the test types into script's
//! stdin and reads everything the terminal showed from its stdout. Every
//! wait is bounded and fails with what the terminal showed so far.

use crate::cli::{Cli, cli_bin};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};

const WAIT: Duration = Duration::from_secs(10);

/// Key presses, as a terminal sends them.
pub const ENTER: &str = "\r";
pub const ESC: &str = "\x1b";
pub const CTRL_C: &str = "\x03";
/// Ctrl-H, which the terminal driver passes through even between two key
/// reads (DEL would be taken as its erase key and vanish).
pub const BACKSPACE: &str = "\x08";
pub const DOWN: &str = "\x1b[B";
/// The terminal escapes that hide and show the cursor.
pub const HIDE_CURSOR: &str = "\x1b[?25l";
pub const SHOW_CURSOR: &str = "\x1b[?25h";

pub struct Terminal {
    child: Child,
    keys: Option<ChildStdin>,
    shown: Arc<Mutex<Vec<u8>>>,
    reader: tokio::task::JoinHandle<()>,
    /// Where the next `expect` starts looking.
    mark: usize,
}

impl Terminal {
    /// `redis-hack ARGS` for `cli`'s user on a new terminal.
    pub fn start(cli: &Cli, args: &[&str]) -> Self {
        Self::start_with_stdout(cli, args, None)
    }

    /// The same, with stdout into `stdout` when given, so the terminal shows
    /// stderr alone (prompts, spinners, errors).
    pub fn start_with_stdout(cli: &Cli, args: &[&str], stdout: Option<&Path>) -> Self {
        let mut line = quote(&cli_bin().display().to_string());
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        if let Some(path) = stdout {
            line.push_str(&format!(" > {}", quote(&path.display().to_string())));
        }
        let mut script = tokio::process::Command::new("script");
        script
            .args(["--quiet", "--return", "--command"])
            .arg(line)
            .arg("/dev/null")
            .envs(cli.env())
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = script
            .spawn()
            .expect("run `script` from util-linux (scripts/lib.sh installs it)");
        let keys = child.stdin.take();
        let mut out = child.stdout.take().expect("script's stdout");
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = shown.clone();
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            keys,
            shown,
            reader,
            mark: 0,
        }
    }

    /// Everything the terminal showed so far.
    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears after the previous match, and moves past it.
    pub async fn expect(&mut self, text: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let shown = self.shown.lock().unwrap().clone();
            let rest = &shown[self.mark.min(shown.len())..];
            if let Some(at) = find(rest, text.as_bytes()) {
                self.mark += at + text.len();
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the terminal did not show {text:?} within {WAIT:?}; it showed: {:?}",
                String::from_utf8_lossy(rest)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Presses `keys`.
    pub async fn send(&mut self, keys: &str) {
        let stdin = self.keys.as_mut().expect("the terminal is still open");
        stdin.write_all(keys.as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Types `text` into a prompt one key at a time, waiting for each key
    /// to be drawn (`{prompt} {typed}|`, the search line of a fuzzy picker).
    pub async fn type_into(&mut self, prompt: &str, text: &str) {
        let mut typed = String::new();
        for c in text.chars() {
            typed.push(c);
            self.send(&c.to_string()).await;
            self.expect(&format!("{prompt} {typed}|")).await;
        }
    }

    /// Waits for the program to end; its exit code and all it showed.
    pub async fn finish(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("redis-hack did not end; it showed: {:?}", self.shown()))
            .expect("wait for script");
        drop(self.keys.take());
        // The terminal's last bytes are read once script has closed it.
        let _ = tokio::time::timeout(WAIT, &mut self.reader).await;
        (status.code(), self.shown())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `s` as one word for `sh`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
