//! `redis-hack register`: ask the server to email a one-time code, to sign
//! up or to sign in again. A district is optional: at a terminal without
//! district flags it asks whether to pick one or skip.

use super::{District, DistrictArgs};
use crate::picker::pick_district;
use crate::prompt::{ask, choose, waiting};
use crate::{Context, output};
use redis_hack_shared::{EmailAddress, RegisterRequest};

/// Email a one-time code to your address, to sign up or to sign in again
/// (an account keeps its subscriptions). A district given here becomes a
/// subscription when you verify.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Your email address.
    #[arg(long, value_parser = parse_email)]
    email: Option<EmailAddress>,
    #[command(flatten)]
    district: DistrictArgs,
}

const PICK: &str = "Pick a district to watch";
const SKIP: &str = "Skip (only sign in; add districts later with redis-hack subscribe)";

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let district = args.district.given(ctx)?;
    let email = ask(ctx, args.email, "--email", "Email address", parse_email)?;
    let mut req = RegisterRequest {
        email: email.clone(),
        state: None,
        district: None,
        district_id: None,
    };
    match district {
        District::Id(id) => req.district_id = Some(id),
        District::Names(state, district) => {
            (req.state, req.district) = (Some(state), Some(district))
        }
        District::Pick { state_hint } => {
            req.district_id = Some(pick_district(ctx, state_hint.as_deref()).await?);
        }
        District::None if ctx.interactive => {
            if choose("Watch a district now?", &[PICK, SKIP])? == 0 {
                req.district_id = Some(pick_district(ctx, None).await?);
            }
        }
        District::None => {}
    }
    let sent = waiting(ctx, "Requesting a code…", ctx.client.register(&req)).await?;
    if ctx.json {
        return output::json(&sent);
    }
    output::line(&format!(
        "A 6-digit code is on its way to {email}. It expires in {} minutes.\nEnter it with: {}",
        sent.expires_in_secs / 60,
        ctx.command(&format!("verify --email {email} --code CODE"))
    ));
    Ok(())
}

/// `--email`'s value parser (and the prompt's check).
pub fn parse_email(s: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(s).map_err(|e| e.to_string())
}
