//! The binary's command line (not part of the library): which roles this
//! process runs, or which operator command it carries out. Parsed with clap,
//! like the `redis-hack` CLI, so `--help` lists every choice and a wrong one
//! is a usage error (exit 2) that names them.

use clap::{Parser, Subcommand, ValueEnum};
use redis_hack_server::app::Roles;

/// The redis-hack server: the HTTP API, the poller of a CoWIN-compatible API,
/// and the email and webhook workers.
#[derive(Debug, Parser)]
#[command(
    name = "redis-hack-server",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Settings come from the environment and a .env file in the working directory; \
                  .env.template lists every variable."
)]
pub struct Cli {
    /// Which parts this process runs; they share nothing but Redis, so each can run in
    /// processes of its own
    #[arg(value_enum, default_value_t = Role::All)]
    pub role: Role,

    #[command(subcommand)]
    pub command: Option<Operate>,
}

/// A set of parts of the server to run in one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The API, the poller and the email and webhook workers in one process (the default)
    All,
    /// The HTTP API only
    Api,
    /// Only the poller: polls the upstream API and queues alerts
    Poller,
    /// Only the email and webhook workers: deliver queued alerts
    Worker,
}

impl Role {
    /// The parts of the server this role runs.
    pub fn roles(self) -> Roles {
        let (api, poller, worker) = match self {
            Role::All => (true, true, true),
            Role::Api => (true, false, false),
            Role::Poller => (false, true, false),
            Role::Worker => (false, false, true),
        };
        Roles {
            api,
            poller,
            worker,
        }
    }
}

/// Operator commands: they run once and exit instead of serving.
#[derive(Debug, Subcommand)]
pub enum Operate {
    /// List alert jobs that ran out of delivery attempts, with the last error of each
    DeadLetters,
    /// Put the dead letter ID back on the delivery queue
    Replay {
        /// The dead letter's id, as `dead-letters` lists it
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (needs no settings)
    Openapi,
    /// Scan the store for what a crash between two writes left half-done, with a count of
    /// each kind; exit 1 if anything is left unrepaired
    Check {
        /// Repair what it finds: the user documents are the source of truth
        #[arg(long)]
        repair: bool,
    },
}

/// `api,poller,worker`: the parts a process runs, as a person reads them in a log line.
pub fn role_names(roles: Roles) -> String {
    [
        (roles.api, "api"),
        (roles.poller, "poller"),
        (roles.worker, "worker"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_role_means_every_part_in_one_process() {
        let cli = Cli::try_parse_from(["redis-hack-server"]).unwrap();
        assert_eq!(role_names(cli.role.roles()), "api,poller,worker");
        assert!(cli.command.is_none());
    }

    #[test]
    fn each_role_runs_its_own_part() {
        for (arg, parts) in [("api", "api"), ("poller", "poller"), ("worker", "worker")] {
            let cli = Cli::try_parse_from(["redis-hack-server", arg]).unwrap();
            assert_eq!(role_names(cli.role.roles()), parts);
        }
    }

    #[test]
    fn check_repairs_only_when_asked() {
        let cli = Cli::try_parse_from(["redis-hack-server", "check"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Operate::Check { repair: false })
        ));
        let cli = Cli::try_parse_from(["redis-hack-server", "check", "--repair"]).unwrap();
        assert!(matches!(cli.command, Some(Operate::Check { repair: true })));
        assert!(Cli::try_parse_from(["redis-hack-server", "check", "--fix"]).is_err());
    }

    #[test]
    fn replay_takes_the_dead_letters_id() {
        let cli = Cli::try_parse_from(["redis-hack-server", "replay", "1-0"]).unwrap();
        assert!(matches!(cli.command, Some(Operate::Replay { id }) if id == "1-0"));
    }
}
