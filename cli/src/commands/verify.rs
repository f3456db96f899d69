//! `redis-hack verify`: trade the emailed code for a token, saved for later commands.

use crate::config::Credentials;
use crate::prompt::{value_or_ask, waiting};
use crate::{Context, output};
use redis_hack_shared::{EmailAddress, OtpCode, VerifyRequest};
use serde_json::json;

/// Prove your address with the 6-digit code from the email; this signs you in.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address you registered.
    #[arg(long)]
    email: Option<String>,
    /// The 6-digit code from the email.
    #[arg(long)]
    code: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let email = EmailAddress::parse(&value_or_ask(ctx, args.email, "--email", "Email address")?)?;
    let code = OtpCode::parse(&value_or_ask(
        ctx,
        args.code,
        "--code",
        "Code from the email",
    )?)?;
    let req = VerifyRequest {
        email,
        code,
        device: device_name(),
    };
    let verified = waiting(ctx, "Verifying…", ctx.client.verify(&req)).await?;
    ctx.paths.forget()?;
    ctx.paths.save_credentials(&Credentials {
        server: ctx.server.clone(),
        email: verified.email.to_string(),
        token: verified.token.clone(),
    })?;
    if ctx.json {
        return output::json(
            &json!({"email": verified.email, "subscriptions": verified.subscriptions}),
        );
    }
    output::line(&format!("Verified {}. You are watching:", verified.email));
    output::print_table(&verified.subscriptions);
    Ok(())
}

/// The machine's name, so the server can tell this device's token apart.
fn device_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
