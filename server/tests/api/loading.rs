//! A Redis that is loading its data after a restart answers `LOADING`: the
//! API answers 503 `storage_unavailable` with `Retry-After`, never a 500,
//! and the body names no internal error. The test runs a Redis of its own
//! (with the JSON module) whose loading is slowed down by `key-load-delay`.

use crate::helpers::{env_or_explain, hex, spawn_app_with, unique_email};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::{Child, Command};

struct OwnRedis {
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnRedis {
    fn socket(&self) -> String {
        self.dir.join("redis.sock").display().to_string()
    }

    async fn start(&mut self, extra: &[&str]) {
        let child = Command::new("redis-server")
            .args(["--port", "0", "--save", "", "--enable-debug-command", "yes"])
            .args([
                "--unixsocket",
                &self.socket(),
                "--dir",
                &self.dir.display().to_string(),
            ])
            .args(["--loadmodule", &env_or_explain("TEST_REDISJSON_MODULE")])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        for _ in 0..100 {
            if std::path::Path::new(&self.socket()).exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not open its socket");
    }

    async fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-s", &self.socket()])
            .args(args)
            .output()
            .await
            .expect("redis-cli is installed");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn requests_while_redis_loads_its_data_get_503_with_retry_after() {
    let dir = std::env::temp_dir().join(format!("rh-loading-{}", hex(6)));
    std::fs::create_dir_all(&dir).unwrap();
    let mut redis = OwnRedis { dir, child: None };
    redis.start(&[]).await;
    assert_eq!(
        redis.cli(&["DEBUG", "POPULATE", "20000", "k", "10"]).await,
        "OK"
    );
    assert_eq!(redis.cli(&["SAVE"]).await, "OK");
    let url = format!("redis+unix://{}", redis.socket());
    let app = spawn_app_with(&[("REDIS_URL", &url)]).await;

    redis.cli(&["SHUTDOWN", "NOSAVE"]).await;
    if let Some(mut c) = redis.child.take() {
        c.wait().await.unwrap();
    }
    let _ = std::fs::remove_file(redis.socket());
    // 20,000 keys at 1 ms each: about 20 s of loading, answering LOADING meanwhile.
    let slow = [
        "--key-load-delay",
        "1000",
        "--loading-process-events-interval-bytes",
        "1024",
    ];
    redis.start(&slow).await;
    assert!(
        redis.cli(&["PING"]).await.starts_with("LOADING"),
        "Redis is loading"
    );

    let mut loading_seen = 0;
    for _ in 0..5 {
        let r = app
            .post("/v1/register", &json!({"email": unique_email()}))
            .await;
        assert_eq!(r.status(), 503, "never a 500 while Redis loads");
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry > 0);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
        let message = body["error"]["message"].as_str().unwrap().to_lowercase();
        for internal in ["loading", "broken pipe", "redis", "connection"] {
            assert!(
                !message.contains(internal),
                "internal text in a 503: {message}"
            );
        }
        loading_seen += usize::from(redis.cli(&["PING"]).await.starts_with("LOADING"));
    }
    assert!(
        loading_seen > 0,
        "the requests were made while Redis was loading"
    );
}
