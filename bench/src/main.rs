//! `redis-hack-bench`: the workloads of the benchmark suite. Run them all with
//! `bash scripts/bench.sh`, which builds in release mode, starts a Redis with
//! RedisJSON of its own and writes BENCHMARKS.md; each subcommand appends its
//! figures to the results file (see `results`).

mod api;
mod cli;
mod detection;
mod fanout;
mod fanout_run;
mod optimum;
mod populate;
mod receiver;
mod register;
mod report;
mod results;
mod server;
mod sim_io;
mod sink;
mod sink_alone;
mod storage;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "redis-hack benchmark workloads (run them with scripts/bench.sh)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The SMTP sink alone, driven by lettre.
    Sink(sink_alone::SinkArgs),
    /// Detection to last delivery for N subscribers of one district.
    Fanout(fanout::FanoutArgs),
    /// Detection delay under the poll budget, in simulated time.
    Detection(detection::DetectionArgs),
    /// The API under wrk: list (200 and 304), register and verify.
    Api(api::ApiArgs),
    /// Register under wrk on one Redis and on the 3-master cluster, side by side.
    Register(register::RegisterArgs),
    /// Memory per subscriber and register latency at growing sizes.
    Storage(storage::StorageArgs),
    /// Writes the results file as a Markdown table.
    Report(report::ReportArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Sink(args) => sink_alone::run(args).await,
        Command::Fanout(args) => fanout::run(args).await,
        Command::Detection(args) => detection::run(args).await,
        Command::Api(args) => api::run(args).await,
        Command::Register(args) => register::run(args).await,
        Command::Storage(args) => storage::run(args).await,
        Command::Report(args) => report::run(args),
    }
}
