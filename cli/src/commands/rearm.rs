//! `redis-hack rearm ID`: a one-shot subscription (`subscribe --once`) that
//! has alerted and disarmed alerts again; prints what is open right now, as
//! `subscribe` does.

use super::{session, signed_in};
use crate::client::ClientError;
use crate::describe;
use crate::failure::Failure;
use crate::prompt::waiting;
use crate::{Context, output};
use reqwest::StatusCode;

/// Arm a one-shot subscription again after its alert (its ID is shown by `redis-hack list`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subscription's ID, e.g. s61429757.
    id: String,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let id = args.id.trim().to_owned();
    let creds = session(ctx)?;
    let sub = waiting(ctx, "Rearming…", ctx.client.rearm(&creds.token, &id))
        .await
        .map_err(|e| match &e {
            ClientError::Api { status, body, .. } if *status == StatusCode::NOT_FOUND => {
                Failure::new(
                    &body.error.code,
                    format!(
                        "you have no subscription {id} to rearm; redis-hack list shows your subscriptions"
                    ),
                )
                .into()
            }
            _ => signed_in(ctx, &creds, e),
        })?;
    if ctx.json {
        return output::json(&sub);
    }
    let state = match (sub.once, sub.armed) {
        (true, true) => "armed: it alerts once more, then waits for rearm again",
        (false, _) => "armed (it is not one-shot: it alerts on every opening)",
        (true, false) => "still disarmed",
    };
    output::line(&format!(
        "{} ({}, {}) is {state}.",
        sub.id, sub.target, sub.filters
    ));
    if let Some(open) = describe::open_now(&sub) {
        output::line(&open);
    }
    Ok(())
}
