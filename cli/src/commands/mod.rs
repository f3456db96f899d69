//! One module per subcommand; each has `Args` (its flags, documented for
//! `--help`) and `run`. Shared here: the district flags and the session check.

pub mod list;
pub mod logout;
pub mod man;
pub mod register;
pub mod slots;
pub mod status;
pub mod subscribe;
pub mod unsubscribe;
pub mod verify;

use crate::Context;
use crate::config::Credentials;
use anyhow::bail;

/// Which district: by id, or by state and district name.
#[derive(Debug, Clone, clap::Args)]
pub struct DistrictArgs {
    /// State name, e.g. "Bihar" (with --district).
    #[arg(long, conflicts_with = "district_id")]
    pub state: Option<String>,
    /// District name, e.g. "Patna" (with --state).
    #[arg(long, conflicts_with = "district_id")]
    pub district: Option<String>,
    /// CoWIN district id, instead of --state and --district.
    #[arg(long)]
    pub district_id: Option<u32>,
}

/// The district the flags give, as (id, or state and district names).
pub enum District {
    Id(u32),
    Names(String, String),
}

impl DistrictArgs {
    /// `None` when no district flag was given at all.
    pub fn given(&self) -> anyhow::Result<Option<District>> {
        match (&self.district_id, &self.state, &self.district) {
            (Some(id), _, _) => Ok(Some(District::Id(*id))),
            (None, Some(s), Some(d)) => Ok(Some(District::Names(s.clone(), d.clone()))),
            (None, None, None) => Ok(None),
            (None, Some(_), None) => bail!("--district is required with --state"),
            (None, None, Some(_)) => bail!("--state is required with --district"),
        }
    }
}

/// The saved token for this server, or an error saying how to get one.
pub fn session(ctx: &Context) -> anyhow::Result<Credentials> {
    let Some(creds) = ctx.paths.load_credentials()? else {
        bail!("not logged in; run redis-hack register and redis-hack verify first");
    };
    if creds.server != ctx.server {
        bail!(
            "you are logged in to {} as {}, not to {}; pass --server {} or verify again on this server",
            creds.server,
            creds.email,
            ctx.server,
            creds.server
        );
    }
    Ok(creds)
}
