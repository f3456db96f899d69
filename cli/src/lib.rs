//! redis-hack, the command-line client: register an email address, verify it
//! with the emailed code, and manage what you watch.
//!
//! `main` parses the command line, runs one command on a small tokio
//! runtime (with Ctrl-C caught on its worker thread), and reports any failure
//! once: a sentence, with `--json` also a JSON document, and the exit code of
//! its kind (`failure` has the table). `completions` and `man` need no
//! server, config or runtime.

pub mod address;
pub mod client;
mod commands;
pub mod config;
mod describe;
pub mod failure;
mod interrupt;
mod output;
mod picker;
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
    /// The redis-hack server to talk to; without a scheme, http:// for
    /// localhost and 127.0.0.1, https:// for anything else.
    #[arg(
        long,
        global = true,
        env = "REDIS_HACK_SERVER",
        hide_env_values = true,
        default_value = address::DEFAULT_SERVER,
        value_parser = address::parse_server
    )]
    pub server: String,
    /// Print one JSON document on stdout instead of text; a failure prints
    /// {"error": {"code", "message"}} (the exit code stays the same).
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
    Rearm(commands::rearm::Args),
    Watch(commands::watch::Args),
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
    /// The server's URL, with its scheme, as given.
    pub server: String,
    pub json: bool,
    /// Prompts and spinners only when a person is at a terminal.
    pub interactive: bool,
}

impl Context {
    /// A command line to suggest: `redis-hack REST`, with `--server` when
    /// the server is not the default one.
    pub fn command(&self, rest: &str) -> String {
        if address::same_server(&self.server, address::DEFAULT_SERVER) {
            format!("redis-hack {rest}")
        } else {
            format!("redis-hack --server {} {rest}", self.server)
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    style::init();
    let json = failure::json_requested(std::env::args_os());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => {
            let _ = output::json(&redis_hack_shared::ErrorBody::new(
                failure::USAGE,
                failure::clap_sentence(&e),
            ));
            return ExitCode::from(u8::try_from(style::print_clap(&e)).unwrap_or(2));
        }
        // Help and --version are "errors" too, printed to stdout with code 0.
        Err(e) => return ExitCode::from(u8::try_from(style::print_clap(&e)).unwrap_or(2)),
    };
    let json = cli.json;
    let result = match cli.command {
        Command::Completions { shell } => {
            completions(shell);
            Ok(())
        }
        Command::Man(args) => commands::man::run(args, json),
        _ => tokio::runtime::Builder::new_multi_thread()
            // One worker: it catches Ctrl-C while a prompt blocks the main thread.
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
            .and_then(|runtime| runtime.block_on(run(cli))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure::Failure::of(e).report(json),
    }
}

fn completions(shell: clap_complete::Shell) {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Into a buffer first: clap_complete panics on a closed pipe, and
    // `output::line` ends quietly instead.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "redis-hack", &mut script);
    output::line(String::from_utf8_lossy(&script).trim_end());
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    interrupt::watch(cli.json)?;
    let ctx = Context {
        client: client::ApiClient::new(&cli.server)?,
        paths: config::Paths::resolve()?,
        interactive: prompt::is_interactive(),
        server: cli.server,
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
        Command::Rearm(args) => commands::rearm::run(&ctx, args).await,
        Command::Watch(args) => commands::watch::run(&ctx, args).await,
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
