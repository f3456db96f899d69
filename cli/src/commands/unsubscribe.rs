//! `redis-hack unsubscribe [ID]`: stop watching one subscription; without an
//! ID, at a terminal, pick it from your list.

use super::{session, signed_in};
use crate::client::Conditional;
use crate::failure::{self, Failure};
use crate::picker::pick_subscription;
use crate::prompt::waiting;
use crate::{Context, output};
use serde_json::json;

/// Stop watching a subscription (its ID is shown by `redis-hack list`;
/// without one, at a terminal, you pick it from your list).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subscription's ID, e.g. s61429757.
    id: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    if args.id.is_none() && !ctx.interactive {
        return Err(Failure::usage(
            "a subscription ID is required when not running in a terminal (redis-hack list shows them)",
        )
        .into());
    }
    let creds = session(ctx)?;
    let id = match args.id {
        Some(id) => id.trim().to_owned(),
        None => {
            let listed = waiting(ctx, "Loading…", ctx.client.list(&creds.token, None))
                .await
                .map_err(|e| signed_in(ctx, &creds, e))?;
            let Conditional::Fresh { response, .. } = listed else {
                return Err(Failure::new(
                    failure::UNEXPECTED_ANSWER,
                    "the server answered 304 Not Modified to a list without an ETag",
                )
                .into());
            };
            if response.subscriptions.is_empty() {
                output::line("You are not watching anything, so there is nothing to stop.");
                return Ok(());
            }
            pick_subscription(&response.subscriptions)?.id.to_string()
        }
    };
    waiting(
        ctx,
        "Unsubscribing…",
        ctx.client.unsubscribe(&creds.token, &id),
    )
    .await
    .map_err(|e| signed_in(ctx, &creds, e))?;
    if ctx.json {
        return output::json(&json!({"unsubscribed": id}));
    }
    output::line(&format!("Stopped watching {id}."));
    Ok(())
}
