//! The real `redis-hack-server` binary as a child process with every line it
//! prints kept, and an SMTP server that refuses every recipient, for the log
//! tests.

use serde_json::Value;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

/// The server binary, and every line it printed.
pub struct Server {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    base_url: String,
}

/// Collects each line of `out` into `lines`.
fn collect(out: impl AsyncRead + Unpin + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    tokio::spawn(async move {
        let mut out = BufReader::new(out).lines();
        while let Ok(Some(line)) = out.next_line().await {
            lines.lock().unwrap().push(line);
        }
    });
}

impl Server {
    /// Runs `role` with `vars` as its whole environment, logging as JSON at debug.
    pub async fn start(role: &str, vars: &[(&str, String)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
            .arg(role)
            .env_clear()
            .env("LOG", "debug,redis_hack_server=trace")
            .env("LOG_FORMAT", "json")
            .envs(vars.iter().map(|(k, v)| (*k, v)))
            // Nowhere near a `.env` file.
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-hack-server");
        let lines = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), lines.clone());
        collect(child.stderr.take().unwrap(), lines.clone());
        for _ in 0..150 {
            let addr = lines.lock().unwrap().iter().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                (v["fields"]["message"] == "listening")
                    .then(|| v["fields"]["addr"].as_str().map(str::to_owned))?
            });
            if let Some(addr) = addr {
                return Self {
                    child,
                    lines,
                    base_url: format!("http://{addr}"),
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server exited ({status}): {:#?}", lines.lock().unwrap());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no 'listening' line in 15 s: {:#?}", lines.lock().unwrap());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops it with SIGTERM (as an orchestrator would) and returns its lines.
    pub async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().expect("still running").to_string();
        let term = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(term.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let waited = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
        assert!(waited.is_ok(), "the server did not stop within 15 s");
        // Let the readers take the last lines.
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.lines.lock().unwrap().clone()
    }
}

/// An SMTP server that refuses every recipient, repeating the address in its
/// reply as Postfix does (`550 5.1.1 <a@b>: Recipient address rejected`).
pub async fn refusing_smtp() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 refuser ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply = match command.get(..4) {
                        Some("RCPT") => format!(
                            "550 5.1.1 {}: Recipient address rejected: User unknown\r\n",
                            line[8..].trim()
                        ),
                        Some("QUIT") => "221 bye\r\n".to_owned(),
                        _ => "250 ok\r\n".to_owned(),
                    };
                    write.write_all(reply.as_bytes()).await.ok();
                }
            });
        }
    });
    format!("smtp://{addr}")
}
