//! `redis-hack verify`: trade the emailed code for a token, saved for later
//! commands. One sign-in per machine: verifying replaces the one saved, and
//! says whose it was when it was someone else's or another server's.

use super::register::parse_email;
use crate::address::{same_server, sign_in_key};
use crate::config::Credentials;
use crate::prompt::{ask, waiting};
use crate::{Context, describe, output};
use redis_hack_shared::{EmailAddress, OtpCode, VerifyRequest};
use serde_json::json;

/// Prove your address with the 6-digit code from the email; this signs you in.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address you registered.
    #[arg(long, value_parser = parse_email)]
    email: Option<EmailAddress>,
    /// The 6-digit code from the email.
    #[arg(long, value_parser = parse_code)]
    code: Option<OtpCode>,
}

pub async fn run(ctx: &Context, args: Args) -> anyhow::Result<()> {
    let email = ask(ctx, args.email, "--email", "Email address", parse_email)?;
    let code = ask(ctx, args.code, "--code", "Code from the email", parse_code)?;
    let req = VerifyRequest {
        email,
        code,
        device: device_name(),
    };
    let verified = waiting(ctx, "Verifying…", ctx.client.verify(&req)).await?;
    let replaced = ctx.paths.load_credentials().ok().flatten().filter(|old| {
        old.email != verified.email.as_str() || !same_server(&old.server, &ctx.server)
    });
    ctx.paths.forget()?;
    ctx.paths.save_credentials(&Credentials {
        server: sign_in_key(&ctx.server),
        email: verified.email.to_string(),
        token: verified.token.clone(),
    })?;
    if ctx.json {
        let replaced = replaced.map(|old| json!({"email": old.email, "server": old.server}));
        return output::json(&json!({
            "email": verified.email,
            "subscriptions": verified.subscriptions,
            "replaced": replaced,
        }));
    }
    let note = replaced.map_or(String::new(), |old| {
        format!(
            " (this replaces the sign-in of {} on {})",
            old.email, old.server
        )
    });
    let watching = if verified.subscriptions.is_empty() {
        ""
    } else {
        " You are watching:"
    };
    output::line(&format!("Signed in as {}{note}.{watching}", verified.email));
    output::print_table(&verified.subscriptions);
    for sub in &verified.subscriptions {
        if let Some(open) = describe::open_now(sub) {
            output::line(&format!("{}: {open}", sub.id));
        }
    }
    Ok(())
}

fn parse_code(s: &str) -> Result<OtpCode, String> {
    OtpCode::parse(s).map_err(|e| e.to_string())
}

/// The machine's name, so the server can tell this device's token apart.
fn device_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}
