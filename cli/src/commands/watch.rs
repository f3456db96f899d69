//! `redis-hack watch`: the live feed (`GET /v1/events`) as it comes, one
//! line per event (with `--json`, one JSON object per line: NDJSON). A
//! terminal bell rings for each opening when stdout is a terminal, never in
//! a pipe. A lost connection is retried with backoff (1 s doubling to 30 s,
//! back to 1 s once connected) and resumes after the last event printed
//! (`Last-Event-ID`), so nothing is lost or printed twice. Ctrl-C stops it
//! (exit 130), with `--json` saying so on stderr only, so stdout stays NDJSON.

use super::{session, signed_in};
use crate::client::{ClientError, SseMessage};
use crate::{Context, output};
use redis_hack_shared::{FeedEvent, FeedKind};
use reqwest::StatusCode;
use std::io::IsTerminal;
use std::time::Duration;

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// Print your alerts as they happen (Ctrl-C stops); reconnects by itself.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(ctx: &Context, _args: Args) -> anyhow::Result<()> {
    let creds = session(ctx)?;
    // stdout is NDJSON from here on: Ctrl-C must not add a pretty error document.
    crate::interrupt::no_json_document();
    let bell = !ctx.json && std::io::stdout().is_terminal();
    let mut last_id: Option<String> = None;
    let mut wait = FIRST_RETRY;
    let mut announced = false;
    loop {
        let lost = match ctx.client.events(&creds.token, last_id.as_deref()).await {
            Ok(mut stream) => {
                match (announced, &last_id) {
                    (false, _) => {
                        eprintln!("Watching for alerts on {} (Ctrl-C stops).", ctx.server);
                        announced = true;
                    }
                    (true, Some(id)) => eprintln!("Reconnected; resuming after event {id}."),
                    (true, None) => eprintln!("Reconnected."),
                }
                wait = FIRST_RETRY;
                loop {
                    match stream.next().await {
                        Ok(Some(message)) => {
                            if let Some(id) = show(ctx, &message, bell)? {
                                last_id = Some(id);
                            }
                        }
                        Ok(None) => break "the server closed the feed".to_owned(),
                        Err(e) => break e.to_string(),
                    }
                }
            }
            Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => {
                return Err(signed_in(ctx, &creds, e));
            }
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("{} has no live feed (GET /v1/events)", ctx.server)));
            }
            Err(ClientError::Api { status, body, .. })
                if status == StatusCode::BAD_REQUEST && last_id.is_some() =>
            {
                eprintln!(
                    "{}; events after {} may have been missed, watching new ones",
                    body.error.message,
                    last_id.take().unwrap_or_default()
                );
                continue;
            }
            Err(e) => e.to_string(),
        };
        eprintln!("{lost}; reconnecting in {} s", wait.as_secs());
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(LONGEST_RETRY);
    }
}

/// Prints one message of the feed; returns its id once printed.
fn show(ctx: &Context, message: &SseMessage, bell: bool) -> anyhow::Result<Option<String>> {
    let event: FeedEvent = match serde_json::from_str(&message.data) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("skipping an event this version cannot read ({e})");
            return Ok(message.id.clone());
        }
    };
    if ctx.json {
        output::line(&serde_json::to_string(&event)?);
    } else {
        let ring = match bell && event.kind == FeedKind::SlotsOpened {
            true => "\x07",
            false => "",
        };
        output::line(&format!("{}{ring}", crate::describe::feed_line(&event)));
    }
    Ok(message
        .id
        .clone()
        .or(Some(event.id))
        .filter(|id| !id.is_empty()))
}
