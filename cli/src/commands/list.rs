//! `redis-hack list`: what you watch. Sends the cached ETag; on a 304 it shows
//! the cached copy without downloading it again.

use super::{session, signed_in};
use crate::address::same_server;
use crate::client::Listed;
use crate::config::ListCache;
use crate::failure::{self, Failure};
use crate::prompt::waiting;
use crate::{Context, output};

/// Show what you are watching.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(ctx: &Context, _args: Args) -> anyhow::Result<()> {
    let creds = session(ctx)?;
    let cached = ctx.paths.load_cache()?.filter(|c| {
        same_server(&c.server, &ctx.server) && c.response.email.as_str() == creds.email
    });
    let etag = cached.as_ref().map(|c| c.etag.as_str());
    let listed = waiting(ctx, "Loading…", ctx.client.list(&creds.token, etag))
        .await
        .map_err(|e| signed_in(ctx, &creds, e))?;
    let response = match listed {
        Listed::Fresh { response, etag } => {
            if let Some(etag) = etag {
                let cache = ListCache {
                    server: ctx.server.clone(),
                    etag,
                    response: response.clone(),
                };
                ctx.paths.save_cache(&cache)?;
            }
            response
        }
        Listed::NotModified => match cached {
            Some(c) => {
                eprintln!("unchanged since the last check; showing the cached copy");
                c.response
            }
            None => {
                return Err(Failure::new(
                    failure::UNEXPECTED_ANSWER,
                    "the server said nothing changed, but there is no cached copy; run list again",
                )
                .into());
            }
        },
    };
    if ctx.json {
        return output::json(&response);
    }
    if let Some(suspended) = &response.email_suspended {
        output::line(&crate::describe::suspension(suspended));
    }
    output::print_table(&response.subscriptions);
    let hooks = output::webhooks(&response.subscriptions);
    if !hooks.is_empty() {
        output::line("");
        for hook in hooks {
            output::line(&hook);
        }
    }
    Ok(())
}
