//! Fuzzy pickers: a state and then a district from the server's lists, and
//! one of your subscriptions. Type to search; Enter picks; Esc goes back
//! from the districts to the states, and from the states cancels. A search
//! that matches nothing says so on the prompt line.

use crate::Context;
use crate::failure::Failure;
use crate::prompt::{answered, waiting};
use dialoguer::FuzzySelect;
use dialoguer::theme::Theme;
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use redis_hack_shared::{DistrictId, Subscription};
use std::fmt;

/// Asks for a state and then a district; `state_hint` skips the state list
/// when it names a state (Esc in the districts then shows the states).
pub async fn pick_district(ctx: &Context, state_hint: Option<&str>) -> anyhow::Result<DistrictId> {
    let states = waiting(ctx, "Loading states…", ctx.client.states())
        .await?
        .states;
    let names: Vec<&str> = states.iter().map(|s| s.state_name.as_str()).collect();
    let mut hinted =
        state_hint.and_then(|h| names.iter().position(|n| n.eq_ignore_ascii_case(h.trim())));
    loop {
        let index = match hinted.take() {
            Some(i) => i,
            None => pick("State (type to search, Esc cancels)", &names)?
                .ok_or_else(Failure::cancelled)?,
        };
        let state = &states[index];
        let districts = waiting(
            ctx,
            "Loading districts…",
            ctx.client.districts(state.state_id),
        )
        .await?
        .districts;
        let names: Vec<&str> = districts.iter().map(|d| d.district_name.as_str()).collect();
        let prompt = format!(
            "District in {} (type to search, Esc for the states)",
            state.state_name
        );
        if let Some(i) = pick(&prompt, &names)? {
            return Ok(districts[i].district_id);
        }
    }
}

/// Asks which subscription; Esc cancels.
pub fn pick_subscription(subs: &[Subscription]) -> anyhow::Result<&Subscription> {
    let labels: Vec<String> = subs
        .iter()
        .map(|s| format!("{}  {} ({})", s.id, s.target, s.filters))
        .collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let index = pick("Stop watching (type to search, Esc cancels)", &labels)?
        .ok_or_else(Failure::cancelled)?;
    Ok(&subs[index])
}

/// One fuzzy list; `None` when the person pressed Esc.
fn pick(prompt: &str, items: &[&str]) -> anyhow::Result<Option<usize>> {
    let theme = HintTheme { items };
    answered(
        FuzzySelect::with_theme(&theme)
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact_opt(),
    )
}

/// dialoguer's plain look, plus a hint on the prompt line when the search
/// matches nothing (dialoguer would otherwise show an empty list).
struct HintTheme<'a> {
    items: &'a [&'a str],
}

impl Theme for HintTheme<'_> {
    fn format_fuzzy_select_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        search_term: &str,
        bytes_pos: usize,
    ) -> fmt::Result {
        let (head, tail) = search_term.split_at(bytes_pos);
        write!(f, "{prompt} {head}|{tail}")?;
        if let Some(hint) = no_match_hint(self.items, search_term) {
            write!(f, "  {hint}")?;
        }
        Ok(())
    }
}

/// The hint for a search that matches no item, matched as dialoguer matches.
fn no_match_hint(items: &[&str], search: &str) -> Option<String> {
    let matcher = SkimMatcherV2::default();
    let any = items
        .iter()
        .any(|item| matcher.fuzzy_match(item, search).is_some());
    (!any).then(|| format!("(nothing matches '{search}'; Backspace to change it, Esc to go back)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_that_matches_nothing_gets_a_hint_and_one_that_matches_does_not() {
        let items = ["Patna", "Gaya", "Saran"];
        assert_eq!(no_match_hint(&items, "pat"), None);
        assert_eq!(no_match_hint(&items, ""), None);
        let hint = no_match_hint(&items, "zzq").unwrap();
        assert!(hint.contains("nothing matches 'zzq'"), "{hint}");
    }
}
