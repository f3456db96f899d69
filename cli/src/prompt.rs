//! Talking to a person: whether one is at the terminal, asking for missing
//! values (dialoguer), picking a state and district, and spinners (indicatif)
//! on stderr while waiting for the network.

use crate::Context;
use crate::client::ClientError;
use anyhow::bail;
use dialoguer::{FuzzySelect, Input};
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
    spinner.enable_steady_tick(Duration::from_millis(80));
    let result = work.await;
    spinner.finish_and_clear();
    result
}

/// The flag's value, or (at a terminal) the answer to `question`.
pub fn value_or_ask(
    ctx: &Context,
    value: Option<String>,
    flag: &str,
    question: &str,
) -> anyhow::Result<String> {
    if let Some(v) = value {
        return Ok(v);
    }
    if !ctx.interactive {
        bail!("{flag} is required when not running in a terminal");
    }
    Ok(Input::<String>::new()
        .with_prompt(question)
        .interact_text()?)
}

/// Asks for a state and then a district from the server's lists (fuzzy search);
/// `state_hint` preselects a state when it names one.
pub async fn pick_district(
    ctx: &Context,
    state_hint: Option<&str>,
) -> anyhow::Result<redis_hack_shared::DistrictId> {
    let states = waiting(ctx, "Loading states…", ctx.client.states())
        .await
        .map_err(ClientError::into_anyhow)?
        .states;
    let names: Vec<&str> = states.iter().map(|s| s.state_name.as_str()).collect();
    let hinted =
        state_hint.and_then(|h| names.iter().position(|n| n.eq_ignore_ascii_case(h.trim())));
    let index = match hinted {
        Some(i) => i,
        None => FuzzySelect::new()
            .with_prompt("State (type to search)")
            .items(&names)
            .default(0)
            .interact()?,
    };
    let state = &states[index];
    let districts = waiting(
        ctx,
        "Loading districts…",
        ctx.client.districts(state.state_id),
    )
    .await
    .map_err(ClientError::into_anyhow)?
    .districts;
    let names: Vec<&str> = districts.iter().map(|d| d.district_name.as_str()).collect();
    let prompt = format!("District in {} (type to search)", state.state_name);
    let index = FuzzySelect::new()
        .with_prompt(prompt)
        .items(&names)
        .default(0)
        .interact()?;
    Ok(districts[index].district_id)
}

impl ClientError {
    /// For `?` in commands: the error already reads as a sentence.
    pub fn into_anyhow(self) -> anyhow::Error {
        anyhow::Error::new(self)
    }
}
