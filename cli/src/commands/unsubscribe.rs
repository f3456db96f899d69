//! `redis-hack unsubscribe ID`: stop watching one subscription.

use super::session;
use crate::prompt::waiting;
use crate::{Context, output};
use serde_json::json;

/// Stop watching a subscription (its ID is shown by `redis-hack list`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subscription's ID, e.g. s61429757.
    id: String,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let creds = session(ctx)?;
    let id = args.id.trim();
    waiting(
        ctx,
        "Unsubscribing…",
        ctx.client.unsubscribe(&creds.token, id),
    )
    .await?;
    if ctx.json {
        return output::json(&json!({"unsubscribed": id}));
    }
    output::line(&format!("Stopped watching {id}."));
    Ok(())
}
