//! `redis-hack logout`: revoke this device's token and forget it.

use crate::client::{ApiClient, ClientError};
use crate::prompt::waiting;
use crate::style::warning_prefix;
use crate::{Context, output};
use reqwest::StatusCode;
use serde_json::json;

/// Sign out on this device: the server revokes the token and it is deleted here.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(ctx: &Context, _args: Args) -> anyhow::Result<()> {
    let Some(creds) = ctx.paths.load_credentials()? else {
        if ctx.json {
            return output::json(&json!({"logged_out": false}));
        }
        output::line("Nobody was signed in on this machine.");
        return Ok(());
    };
    // The token goes back to the server that issued it, whichever --server
    // this run names; and the local copy goes whatever that server says:
    // logging out must always work.
    let client = ApiClient::new(&creds.server)?;
    match waiting(ctx, "Signing out…", client.logout(&creds.token)).await {
        Ok(()) => {}
        Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => {}
        Err(e @ ClientError::Unreachable { .. }) => {
            eprintln!(
                "{} {e}; the token was removed from this machine but not revoked on the server",
                warning_prefix()
            );
        }
        Err(e) => eprintln!(
            "{} the server did not revoke the token: {e}",
            warning_prefix()
        ),
    }
    ctx.paths.forget()?;
    if ctx.json {
        return output::json(&json!({"logged_out": true}));
    }
    output::line(&format!("Logged out {}.", creds.email));
    Ok(())
}
