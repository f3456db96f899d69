//! `redis-hack man`: the manual pages (roff), made from the same clap
//! definitions as `--help`. Without flags it prints redis-hack(1), e.g. for
//! `redis-hack man | man -l -`; `--out-dir DIR` writes redis-hack.1 and one
//! page per subcommand (redis-hack-register.1, ...) for packaging. Runs
//! before any server, config or runtime is set up.

use crate::{Cli, output};
use anyhow::Context as _;
use clap::CommandFactory;
use clap_mangen::Man;
use std::path::{Path, PathBuf};

/// Print the manual page, or write every page into a directory.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write redis-hack.1 and one page per subcommand into this directory
    /// (created if missing) instead of printing redis-hack.1.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub fn run(args: Args, json: bool) -> anyhow::Result<()> {
    let Some(dir) = args.out_dir else {
        let mut roff = Vec::new();
        page(root()).render(&mut roff)?;
        output::line(String::from_utf8_lossy(&roff).trim_end());
        return Ok(());
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    write_pages(&root(), &dir, &mut written)?;
    if json {
        return output::json(&serde_json::json!({ "pages": written }));
    }
    for path in written {
        output::line(&path.display().to_string());
    }
    Ok(())
}

/// The whole command tree, built so every subcommand knows its full name
/// (`redis-hack-register`), without the `help` subcommand a page would not
/// describe usefully.
fn root() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn page(cmd: clap::Command) -> Man {
    let man = Man::new(cmd)
        .source(format!("redis-hack {}", crate::VERSION))
        .manual("redis-hack manual");
    match env!("REDIS_HACK_COMMIT_DATE") {
        "" => man,
        date => man.date(date),
    }
}

/// Writes the page of `cmd` and of every visible subcommand below it, parents first.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let man = page(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut file =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    man.render(&mut file)
        .with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
