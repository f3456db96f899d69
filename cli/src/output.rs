//! Printing results: JSON documents for `--json`, a plain table for people
//! (its header in bold on a terminal). A closed pipe (`redis-hack list | head`)
//! ends the program quietly.

use crate::describe::ago;
use redis_hack_shared::Subscription;
use serde::Serialize;
use std::io::Write;

/// Writes `text` and a newline to stdout; exits 0 if the reader went away.
pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Prints `value` as one pretty JSON document.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(&serde_json::to_string_pretty(value)?);
    Ok(())
}

/// One line per webhook: where it posts and how it is doing.
pub fn webhooks(subs: &[Subscription]) -> Vec<String> {
    subs.iter()
        .filter_map(|s| {
            let url = s.channels.webhook.as_ref()?;
            let w = s.webhook.clone().unwrap_or_default();
            let state = match w.disabled_at {
                Some(at) => format!(
                    "DISABLED {} ({})",
                    ago(Some(at)),
                    w.disabled_reason.as_deref().unwrap_or("no reason recorded")
                ),
                None => format!(
                    "last delivery {}, {} failure(s) in a row{}",
                    ago(w.last_delivery_at),
                    w.consecutive_failures,
                    w.last_result
                        .map(|r| format!(", last answer {r}"))
                        .unwrap_or_default()
                ),
            };
            Some(format!("{} webhook {url}: {state}", s.id))
        })
        .collect()
}

/// Prints [`table`], its header line in bold where colour is allowed.
pub fn print_table(subs: &[Subscription]) {
    let text = table(subs);
    match text.split_once('\n') {
        Some((header, rows)) => line(&format!("{}\n{rows}", crate::style::bold(header))),
        None => line(&text),
    }
}

/// A table of subscriptions, or a sentence when there are none.
pub fn table(subs: &[Subscription]) -> String {
    if subs.is_empty() {
        return "You are not watching anything yet. Add something with: redis-hack subscribe"
            .into();
    }
    let header = [
        "ID",
        "WATCHING",
        "FILTERS",
        "CHANNELS",
        "LAST POLL",
        "LAST MATCH",
        "LAST ALERT",
        "MODE",
    ]
    .map(String::from);
    let rows: Vec<[String; 8]> = subs
        .iter()
        .map(|s| {
            let channels = match (s.channels.email, &s.channels.webhook) {
                (true, Some(_)) => "email+webhook",
                (false, Some(_)) => "webhook",
                (true, None) => "email",
                (false, None) => "-",
            };
            let h = &s.history;
            [
                s.id.to_string(),
                s.target.to_string(),
                s.filters.to_string(),
                channels.to_owned(),
                ago(h.last_poll_at),
                ago(h.last_match_at),
                ago(h.last_alert_at),
                crate::describe::mode(s),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(&rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_hack_shared::{Channels, Filters, Pincode, SubscriptionId, Target};

    #[test]
    fn the_table_lines_up_columns_and_describes_each_subscription() {
        let subs = vec![
            Subscription::new(
                SubscriptionId::parse("s1").unwrap(),
                Target::District {
                    district_id: 97.into(),
                    district_name: "Patna".into(),
                    state_name: "Bihar".into(),
                },
                Filters::default(),
                Channels::default(),
                redis_hack_shared::Timestamp::from_ms(0),
            ),
            Subscription::new(
                SubscriptionId::parse("s22222222").unwrap(),
                Target::Pincode {
                    pincode: Pincode::parse("110001").unwrap(),
                },
                serde_json::from_str(r#"{"age":18,"fee":"free"}"#).unwrap(),
                Channels::default(),
                redis_hack_shared::Timestamp::from_ms(0),
            ),
        ];
        let t = table(&subs);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].contains("Patna, Bihar (district 97)")
                && lines[1].contains("all ages, doses and vaccines")
        );
        assert!(lines[2].contains("pincode 110001") && lines[2].contains("18+, free"));
        let col = lines[0].find("WATCHING").unwrap();
        assert_eq!(&lines[2][col..col + 7], "pincode", "columns line up");
    }

    #[test]
    fn an_empty_list_says_how_to_start() {
        assert!(table(&[]).contains("redis-hack subscribe"));
    }
}
