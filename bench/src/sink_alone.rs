//! The SMTP sink measured alone: the server's own `Mailer` sends messages the
//! size of an alert email as fast as it can over its pool of connections, so
//! the fan-out figures can show the sink is not the limit. `--lettre-pool`
//! uses lettre's pool instead (TCP_NODELAY off), to show why the server has
//! its own.

use crate::results::Figure;
use crate::sink::Sink;
use redis_hack_server::mail::{Credentials, Mailer};
use redis_hack_shared::EmailAddress;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct SinkArgs {
    #[arg(long, default_value_t = 50_000)]
    messages: usize,
    #[arg(long, default_value_t = 64)]
    connections: u32,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Send through lettre's pool (as with TLS or credentials) instead of the plain one.
    #[arg(long)]
    lettre_pool: bool,
}

pub async fn run(args: SinkArgs) -> anyhow::Result<()> {
    let sink = Sink::start().await?;
    // Credentials (never checked by the sink) make the mailer use lettre's pool.
    let credentials = args
        .lettre_pool
        .then(|| Credentials::new("bench".into(), "bench".into()));
    let mailer = Mailer::connect(
        &sink.url(),
        credentials,
        "alerts <alerts@redis-hack.test>",
        args.connections,
    )?;
    let text = "A slot opened: 25-11-2026, Patna PHC Centre 1 (119409), COVAXIN 18+, dose 1: 5.\n"
        .repeat(12);
    let html = format!("<html><body><pre>{text}</pre></body></html>");
    let mut rates = Vec::new();
    for _ in 0..args.runs {
        sink.reset();
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..args.messages {
            let to = EmailAddress::parse(&format!("user{i}@example.com"))?;
            let (mailer, text, html) = (mailer.clone(), text.clone(), html.clone());
            tasks
                .spawn(async move { mailer.send(&to, "A slot opened in Patna", text, html).await });
            if tasks.len() >= args.connections as usize {
                tasks.join_next().await.expect("a task")??;
            }
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        let rate = args.messages as f64 / started.elapsed().as_secs_f64();
        anyhow::ensure!(
            sink.accepted() == args.messages as u64,
            "the sink lost messages"
        );
        rates.push(rate);
    }
    Figure::new(
        "smtp sink",
        &format!(
            "messages per second, alone ({} connections{})",
            args.connections,
            if args.lettre_pool {
                ", lettre's pool"
            } else {
                ""
            }
        ),
        "/s",
        rates,
    )
    .note("client and sink in one process; the sink must outrun the fan-out target")
    .record()
}
