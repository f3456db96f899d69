//! Workload 5, the CLI: start-up time of `redis-hack --help` and of `list`
//! against a warm server, measured with hyperfine (Debian's package), and the
//! size of the stripped release binary.

use crate::results::Figure;
use crate::server::sibling;
use anyhow::Context;

pub async fn run(api: &str, email: &str, token: &str) -> anyhow::Result<()> {
    let cli = sibling("redis-hack")?;
    let dir = std::env::temp_dir().join(format!("rh-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let creds = serde_json::json!({"server": api, "email": email, "token": token});
    std::fs::write(dir.join("credentials.json"), creds.to_string())?;
    for (name, args) in [
        ("redis-hack --help", "--help"),
        ("redis-hack list (warm server)", "list"),
    ] {
        let export = dir.join("hyperfine.json");
        let out = tokio::process::Command::new("hyperfine")
            .args(["--warmup", "5", "--runs", "100", "-N", "--export-json"])
            .arg(&export)
            .arg(format!("{} {args}", cli.display()))
            .env("REDIS_HACK_CONFIG_DIR", &dir)
            .env("REDIS_HACK_SERVER", api)
            .env("NO_COLOR", "1")
            .output()
            .await
            .context(
                "running hyperfine (Debian package hyperfine; scripts/bench.sh installs it)",
            )?;
        anyhow::ensure!(
            out.status.success(),
            "hyperfine: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&export)?)?;
        let times: Vec<f64> = v["results"][0]["times"]
            .as_array()
            .context("hyperfine's export has no times")?
            .iter()
            .filter_map(|t| t.as_f64())
            .map(|s| s * 1000.0)
            .collect();
        // Each hyperfine "run" is one start-up: report the median over batches of 20.
        let batches: Vec<f64> = times.chunks(20).map(crate::results::median).collect();
        Figure::new("cli", &format!("{name} start-up"), "ms", batches)
            .note("hyperfine -N, 100 runs in 5 batches of 20; median per batch")
            .record()?;
    }
    let bytes = std::fs::metadata(&cli)?.len() as f64 / 1_048_576.0;
    Figure::new(
        "cli",
        "binary size (release, stripped, x86_64 glibc)",
        "MiB",
        vec![bytes],
    )
    .record()
}
