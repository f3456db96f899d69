//! One module per subcommand; each has `Args` (its flags, documented for
//! `--help`) and `run`. Shared here: the district flags, the saved sign-in,
//! and how to sign in again, named as the exact commands to run.

pub mod list;
pub mod logout;
pub mod man;
pub mod rearm;
pub mod register;
pub mod slots;
pub mod status;
pub mod subscribe;
pub mod unsubscribe;
pub mod verify;
pub mod watch;

use crate::Context;
use crate::address::same_server;
use crate::client::ClientError;
use crate::config::Credentials;
use crate::failure::{self, Failure};
use redis_hack_shared::DistrictId;
use reqwest::StatusCode;

/// Which district: by id, or by state and district name.
#[derive(Debug, Clone, clap::Args)]
pub struct DistrictArgs {
    /// State name, e.g. "Bihar" (with --district; alone, at a terminal, it
    /// opens the district list of that state).
    #[arg(long, conflicts_with = "district_id")]
    pub state: Option<String>,
    /// District name, e.g. "Patna" (with --state).
    #[arg(long, conflicts_with = "district_id")]
    pub district: Option<String>,
    /// CoWIN district id, instead of --state and --district.
    #[arg(long)]
    pub district_id: Option<DistrictId>,
}

/// The district the flags give.
pub enum District {
    Id(DistrictId),
    Names(String, String),
    /// Only `--state`: the picker opens at that state's districts.
    Pick {
        state_hint: Option<String>,
    },
    /// No district flag at all.
    None,
}

impl DistrictArgs {
    /// What the flags say; `--state` alone is a usage error without a terminal.
    pub fn given(&self, ctx: &Context) -> anyhow::Result<District> {
        Ok(match (&self.district_id, &self.state, &self.district) {
            (Some(id), _, _) => District::Id(*id),
            (None, Some(s), Some(d)) => District::Names(s.clone(), d.clone()),
            (None, Some(_), None) if !ctx.interactive => {
                return Err(Failure::usage(
                    "--district is required with --state when not running in a terminal",
                )
                .into());
            }
            (None, Some(s), None) => District::Pick {
                state_hint: Some(s.clone()),
            },
            (None, None, Some(_)) => {
                return Err(Failure::usage("--state is required with --district").into());
            }
            (None, None, None) => District::None,
        })
    }
}

/// `redis-hack register --email E && redis-hack verify --email E --code CODE`,
/// with `--server` when the server is not the default one.
pub fn sign_in_commands(ctx: &Context, email: Option<&str>) -> String {
    let email = email.unwrap_or("EMAIL");
    format!(
        "{} && {}",
        ctx.command(&format!("register --email {email}")),
        ctx.command(&format!("verify --email {email} --code CODE"))
    )
}

/// The saved sign-in for this server, or a failure saying how to get one.
pub fn session(ctx: &Context) -> anyhow::Result<Credentials> {
    let Some(creds) = ctx.paths.load_credentials()? else {
        return Err(Failure::new(
            failure::NOT_SIGNED_IN,
            format!(
                "nobody is signed in on this machine; sign in with: {}",
                sign_in_commands(ctx, None)
            ),
        )
        .into());
    };
    if !same_server(&creds.server, &ctx.server) {
        return Err(Failure::new(
            failure::SIGNED_IN_ELSEWHERE,
            format!(
                "you are signed in to {} as {}, not to {}; pass --server {} to use that sign-in, or sign in here with: {}",
                creds.server,
                creds.email,
                ctx.server,
                creds.server,
                sign_in_commands(ctx, Some(&creds.email))
            ),
        )
        .into());
    }
    Ok(creds)
}

/// A request made with the saved token failed: a 401 becomes how to sign in
/// again (the token expired, was revoked, or its account is gone), keeping
/// the server's code; other errors pass unchanged.
pub fn signed_in(ctx: &Context, creds: &Credentials, e: ClientError) -> anyhow::Error {
    match &e {
        ClientError::Api { status, body, .. } if *status == StatusCode::UNAUTHORIZED => {
            Failure::new(&body.error.code, sign_in_again(ctx, &creds.email)).into()
        }
        _ => e.into(),
    }
}

/// The sentence for a token the server no longer accepts.
pub fn sign_in_again(ctx: &Context, email: &str) -> String {
    format!(
        "{} no longer accepts the sign-in of {email} (it expired or was revoked); sign in again with: {}",
        ctx.server,
        sign_in_commands(ctx, Some(email))
    )
}
