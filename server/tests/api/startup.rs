//! The server refuses to start, with a one-line reason, when Redis is
//! unreachable or lacks the JSON module.

use crate::helpers::{env_or_explain, hex};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A plain Redis (no modules) on a socket of its own, stopped on drop.
struct PlainRedis {
    child: Child,
    dir: PathBuf,
}

impl PlainRedis {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("rh-plain-{}", hex(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--save",
                "",
                "--appendonly",
                "no",
                "--unixsocket",
            ])
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be on PATH for this test: scripts/test.sh installs it");
        let ready = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            socket.exists()
        });
        if !ready {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "a plain redis-server did not create {} within 5 s",
                socket.display()
            );
        }
        Self { child, dir }
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("redis.sock").display())
    }
}

impl Drop for PlainRedis {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn server_with_redis(url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redis-hack-server"))
        .env_clear()
        .env("REDIS_URL", url)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SMTP_URL", env_or_explain("TEST_SMTP_URL"))
        .env("LOG", "off")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run redis-hack-server")
}

#[test]
fn the_server_refuses_a_redis_without_the_json_module_in_one_line() {
    let plain = PlainRedis::start();
    let out = server_with_redis(&plain.url());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("REDIS_URL") && stderr.contains("no JSON module"),
        "{stderr}"
    );
}

#[test]
fn the_server_refuses_an_unreachable_redis_in_one_line() {
    let out = server_with_redis("redis+unix:///nonexistent/redis-hack/redis.sock");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
}
