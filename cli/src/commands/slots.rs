//! `redis-hack slots`: what is open now in your districts, from the server's
//! latest check (it never makes the server call CoWIN). Sends the cached
//! ETag; on a 304 shows the cached copy.

use super::{session, signed_in};
use crate::address::same_server;
use crate::client::Conditional;
use crate::config::SlotsCache;
use crate::failure::{self, Failure};
use crate::prompt::waiting;
use crate::{Context, output};
use redis_hack_shared::SlotsResponse;

/// Show the open slots the server last saw in your districts.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this district (one you watch).
    #[arg(long)]
    district_id: Option<u32>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let creds = session(ctx)?;
    let cached = ctx
        .paths
        .load_slots_cache()
        .filter(|c| same_server(&c.server, &ctx.server) && c.query == args.district_id);
    let etag = cached.as_ref().map(|c| c.etag.as_str());
    let response = match waiting(
        ctx,
        "Loading…",
        ctx.client.slots(&creds.token, args.district_id, etag),
    )
    .await
    .map_err(|e| signed_in(ctx, &creds, e))?
    {
        Conditional::Fresh { response, etag } => {
            if let Some(etag) = etag {
                let cache = SlotsCache {
                    server: ctx.server.clone(),
                    query: args.district_id,
                    etag,
                    response: response.clone(),
                };
                ctx.paths.save_slots_cache(&cache)?;
            }
            response
        }
        Conditional::NotModified => match cached {
            Some(c) => {
                eprintln!("unchanged since the last check; showing the cached copy");
                c.response
            }
            None => {
                return Err(Failure::new(
                    failure::UNEXPECTED_ANSWER,
                    "the server said nothing changed, but there is no cached copy; run slots again",
                )
                .into());
            }
        },
    };
    if ctx.json {
        return output::json(&response);
    }
    output::line(&render(&response));
    Ok(())
}

fn render(slots: &SlotsResponse) -> String {
    if slots.districts.is_empty() {
        return "You do not watch any district yet. Add one with: redis-hack subscribe".into();
    }
    let mut out = Vec::new();
    for d in &slots.districts {
        let checked = match d.checked_at {
            Some(at) => format!("checked {}", crate::describe::ago(Some(at))),
            None => "not checked yet".into(),
        };
        out.push(format!(
            "{} (district {}), {checked}:",
            d.district_name, d.district_id
        ));
        if d.sessions.is_empty() {
            out.push("  nothing open".into());
        }
        for s in &d.sessions {
            let ages = s
                .max_age
                .map_or(format!("{}+", s.min_age), |m| format!("{}-{m}", s.min_age));
            out.push(format!(
                "  {}  {}, {} ({})  {} {}  dose 1: {}  dose 2: {}  {}",
                s.date,
                s.center_name,
                s.address,
                s.pincode,
                s.vaccine,
                ages,
                s.capacity_dose1,
                s.capacity_dose2,
                s.fee_type
            ));
        }
    }
    out.join("\n")
}
