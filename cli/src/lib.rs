//! redis-hack, the command-line client: register an email address, verify it
//! with the emailed code, and manage what you watch.
//!
//! `main` parses the command line (clap exits 2 on usage errors), runs one
//! command on a small tokio runtime, and prints any error once, as a sentence,
//! exiting 1. `completions` and `man` need no server, config or runtime.

pub mod client;
mod commands;
pub mod config;
mod output;
mod prompt;
mod style;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The version and the commit it was built from: `0.1.0 (abc123def456 2026-12-01)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("REDIS_HACK_BUILD"),
    ")"
);

/// Get an email the moment a vaccination slot opens in your district.
#[derive(Debug, Parser)]
#[command(name = "redis-hack", version = VERSION, about)]
pub struct Cli {
    /// The redis-hack server to talk to.
    #[arg(
        long,
        global = true,
        env = "REDIS_HACK_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Register(commands::register::Args),
    Verify(commands::verify::Args),
    Subscribe(commands::subscribe::Args),
    List(commands::list::Args),
    Unsubscribe(commands::unsubscribe::Args),
    Slots(commands::slots::Args),
    Logout(commands::logout::Args),
    Status(commands::status::Args),
    /// Print a shell completion script, e.g. `source <(redis-hack completions bash)`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    Man(commands::man::Args),
}

/// What every command gets: where the server is, how to print, where config lives.
pub struct Context {
    pub client: client::ApiClient,
    pub paths: config::Paths,
    pub server: String,
    pub json: bool,
    /// Prompts and spinners only when a person is at a terminal.
    pub interactive: bool,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    style::init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and --version are "errors" too, printed to stdout with code 0.
        Err(e) => return ExitCode::from(u8::try_from(style::print_clap(&e)).unwrap_or(2)),
    };
    match cli.command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into a buffer first: clap_complete panics on a closed pipe, and
            // `output::line` ends quietly instead.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "redis-hack", &mut script);
            output::line(String::from_utf8_lossy(&script).trim_end());
            return ExitCode::SUCCESS;
        }
        Command::Man(args) => {
            return match commands::man::run(args, cli.json) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: anyhow::Error) -> ExitCode {
    eprintln!("{} {e:#}", style::error_prefix());
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let server = cli.server.trim_end_matches('/').to_owned();
    let ctx = Context {
        client: client::ApiClient::new(&server)?,
        paths: config::Paths::resolve()?,
        interactive: prompt::is_interactive(),
        server,
        json: cli.json,
    };
    match cli.command {
        Command::Register(args) => commands::register::run(&ctx, args).await,
        Command::Verify(args) => commands::verify::run(&ctx, args).await,
        Command::Subscribe(args) => commands::subscribe::run(&ctx, args).await,
        Command::List(args) => commands::list::run(&ctx, args).await,
        Command::Unsubscribe(args) => commands::unsubscribe::run(&ctx, args).await,
        Command::Slots(args) => commands::slots::run(&ctx, args).await,
        Command::Logout(args) => commands::logout::run(&ctx, args).await,
        Command::Status(args) => commands::status::run(&ctx, args).await,
        Command::Completions { .. } | Command::Man(_) => {
            unreachable!("handled before the runtime starts")
        }
    }
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
    fn district_id_and_names_cannot_be_mixed() {
        let r = Cli::try_parse_from([
            "redis-hack",
            "register",
            "--email",
            "a@b.in",
            "--district-id",
            "97",
            "--state",
            "Bihar",
        ]);
        assert!(r.is_err());
    }
}
