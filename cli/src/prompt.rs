//! Talking to a person: whether one is at the terminal, asking for missing
//! values (dialoguer), a yes-or-no style choice, and spinners (indicatif) on
//! stderr while waiting for the network. The fuzzy pickers are in `picker`.

use crate::Context;
use crate::failure::Failure;
use crate::interrupt;
use dialoguer::{Input, Select};
use indicatif::{ProgressBar, ProgressStyle};
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

/// True when both stdin and stderr are terminals, so we may ask questions.
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Awaits `work`, showing a spinner with `message` when a person is watching.
pub async fn waiting<T>(ctx: &Context, message: &str, work: impl Future<Output = T>) -> T {
    if ctx.json || !std::io::stderr().is_terminal() {
        return work.await;
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(message.to_owned());
    // Drawn at once, not at the first tick: a fast answer still shows what we waited for.
    spinner.tick();
    spinner.enable_steady_tick(Duration::from_millis(80));
    let result = work.await;
    spinner.finish_and_clear();
    result
}

/// The flag's value, or (at a terminal) the answer to `question`, asked
/// again until `parse` accepts it. Without a terminal a missing flag is a
/// usage error.
pub fn ask<T, E: std::fmt::Display>(
    ctx: &Context,
    value: Option<T>,
    flag: &str,
    question: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> anyhow::Result<T> {
    if let Some(v) = value {
        return Ok(v);
    }
    if !ctx.interactive {
        return Err(
            Failure::usage(format!("{flag} is required when not running in a terminal")).into(),
        );
    }
    let answer = Input::<String>::new()
        .with_prompt(question)
        .validate_with(|s: &String| parse(s).map(drop).map_err(|e| e.to_string()))
        .interact_text();
    let answer = answered(answer)?;
    parse(&answer).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Asks to choose one of `options`; Esc cancels the command.
pub fn choose(question: &str, options: &[&str]) -> anyhow::Result<usize> {
    let choice = Select::new()
        .with_prompt(question)
        .items(options)
        .default(0)
        .interact_opt();
    answered(choice)?.ok_or_else(|| Failure::cancelled().into())
}

/// A prompt's answer; Ctrl-C read by the prompt ends the program (exit 130)
/// with the terminal restored, any other terminal error is reported.
pub fn answered<T>(result: dialoguer::Result<T>) -> anyhow::Result<T> {
    match result {
        Ok(v) => Ok(v),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            interrupt::leave(Failure::interrupted())
        }
        Err(dialoguer::Error::IO(e)) => {
            interrupt::restore_terminal();
            Err(anyhow::anyhow!("cannot read from the terminal: {e}"))
        }
    }
}
