//! `redis-hack register`: ask the server to email a one-time code.

use super::{District, DistrictArgs};
use crate::prompt::{pick_district, value_or_ask, waiting};
use crate::{Context, output};
use anyhow::bail;
use redis_hack_shared::{EmailAddress, RegisterRequest};

/// Email a one-time code to your address; the district becomes your first subscription.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Your email address.
    #[arg(long)]
    email: Option<String>,
    #[command(flatten)]
    district: DistrictArgs,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let email = value_or_ask(ctx, args.email, "--email", "Email address")?;
    let email = EmailAddress::parse(&email)?;
    let mut req = RegisterRequest {
        email: email.clone(),
        state: None,
        district: None,
        district_id: None,
    };
    match args.district.given()? {
        Some(District::Id(id)) => req.district_id = Some(id.into()),
        Some(District::Names(state, district)) => {
            (req.state, req.district) = (Some(state), Some(district))
        }
        None if ctx.interactive => {
            req.district_id = Some(pick_district(ctx, args.district.state.as_deref()).await?)
        }
        None => bail!(
            "--district-id, or --state and --district, are required when not running in a terminal"
        ),
    }
    let sent = waiting(ctx, "Requesting a code…", ctx.client.register(&req)).await?;
    if ctx.json {
        return output::json(&sent);
    }
    output::line(&format!(
        "A 6-digit code is on its way to {email}. It expires in {} minutes.\nEnter it with: redis-hack verify --email {email} --code CODE",
        sent.expires_in_secs / 60
    ));
    Ok(())
}
