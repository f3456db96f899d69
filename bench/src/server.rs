//! The server under test: the release `redis-hack-server` binary built next
//! to this one, run as a child process with the benchmark's settings, killed
//! when dropped. And the benchmark's Redis (`BENCH_REDIS_URL`) and Redis
//! Cluster (`BENCH_CLUSTER_URL`), which are flushed between runs: they must be
//! the suite's own servers, never shared ones.

use anyhow::Context;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// `BENCH_REDIS_URL`, set by scripts/bench.sh to the Redis it started.
pub fn redis_url() -> anyhow::Result<String> {
    std::env::var("BENCH_REDIS_URL").context(
        "BENCH_REDIS_URL is not set: run the suite with scripts/bench.sh, which starts its own Redis with RedisJSON",
    )
}

/// `BENCH_CLUSTER_URL`, set by scripts/bench.sh to the 3-master Redis Cluster
/// it started (`redis+cluster://host:port,...`).
pub fn cluster_url() -> anyhow::Result<String> {
    std::env::var("BENCH_CLUSTER_URL").context(
        "BENCH_CLUSTER_URL is not set: run the suite with scripts/bench.sh, which starts its own 3-master Redis Cluster",
    )
}

/// Empties the Redis or Redis Cluster at `url`: on a cluster, every node
/// listed in the URL (a replica refuses FLUSHALL and follows its master).
pub async fn flush_url(url: &str) -> anyhow::Result<()> {
    let Some(nodes) = url.strip_prefix("redis+cluster://") else {
        anyhow::ensure!(
            url == redis_url()?,
            "refusing to flush {url}: not BENCH_REDIS_URL"
        );
        return flush().await;
    };
    anyhow::ensure!(
        url == cluster_url()?,
        "refusing to flush {url}: not BENCH_CLUSTER_URL"
    );
    for node in nodes.split(',') {
        let client = redis::Client::open(format!("redis://{node}"))?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        let flushed: redis::RedisResult<()> = redis::cmd("FLUSHALL").query_async(&mut conn).await;
        match flushed {
            Err(e) if e.code() == Some("READONLY") => {}
            other => other.with_context(|| format!("FLUSHALL on cluster node {node}"))?,
        }
    }
    Ok(())
}

/// A connection to the benchmark's Redis without the client's 500 ms reply
/// timeout (FLUSHALL or SCAN over a million keys take longer).
pub async fn conn() -> anyhow::Result<redis::aio::MultiplexedConnection> {
    let client = redis::Client::open(redis_url()?)?;
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(Some(std::time::Duration::from_secs(300)));
    Ok(client
        .get_multiplexed_async_connection_with_config(&config)
        .await?)
}

/// Empties the benchmark's Redis (and only that one: see `redis_url`).
pub async fn flush() -> anyhow::Result<()> {
    let mut conn = conn().await?;
    let () = redis::cmd("FLUSHALL").query_async(&mut conn).await?;
    Ok(())
}

/// A Redis INFO field of the benchmark's Redis, e.g. `used_memory`.
pub async fn info_field(section: &str, field: &str) -> anyhow::Result<String> {
    let mut conn = conn().await?;
    let info: String = redis::cmd("INFO")
        .arg(section)
        .query_async(&mut conn)
        .await?;
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_owned())
        .with_context(|| format!("INFO {section} has no {field}"))
}

/// A binary of this workspace, next to the running benchmark binary.
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build it with cargo build --release --workspace --bins",
        path.display()
    );
    Ok(path)
}

/// A running `redis-hack-server` process.
pub struct Server {
    child: Child,
    pub api: Option<String>,
}

impl Server {
    /// Starts `redis-hack-server ROLE` with `env` on top of the benchmark's
    /// defaults; for roles with the API, waits until /healthz answers.
    pub async fn start(role: &str, prefix: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        let port = if role == "all" || role == "api" {
            Some(free_port()?)
        } else {
            None
        };
        let mut cmd = Command::new(sibling("redis-hack-server")?);
        cmd.arg(role)
            .env("REDIS_URL", redis_url()?)
            .env("REDIS_KEY_PREFIX", prefix)
            .env("BIND_ADDR", format!("127.0.0.1:{}", port.unwrap_or(0)))
            .env("WEBHOOK_ALLOW_PRIVATE", "true")
            .env(
                "LOG",
                std::env::var("BENCH_SERVER_LOG").unwrap_or("warn".into()),
            )
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("starting redis-hack-server")?;
        let api = port.map(|p| format!("http://127.0.0.1:{p}"));
        let server = Self { child, api };
        if let Some(api) = &server.api {
            wait_healthy(api).await?;
        }
        Ok(server)
    }

    pub async fn stop(mut self) {
        self.child.start_kill().ok();
        self.child.wait().await.ok();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_healthy(api: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = client.get(format!("{api}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("redis-hack-server did not answer {api}/healthz within 20 s")
}
