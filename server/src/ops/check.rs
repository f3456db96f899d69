//! `redis-hack-server check [--repair]` in words: one line per kind of
//! inconsistency with its count (and what `--repair` did about it), then a
//! summary. `Store::check` (store/check/) does the looking and repairing.

use crate::store::{CheckReport, Finding, Problem, Store, StoreError};

/// What a person reads: the lines to print, and whether the store is now
/// consistent (nothing found, or everything found repaired).
pub async fn check(store: &Store, repair: bool) -> Result<(Vec<String>, bool), StoreError> {
    let report = store.check(repair).await?;
    let mut lines: Vec<String> = report.findings.iter().map(|f| line(f, repair)).collect();
    lines.push(summary(&report, repair));
    Ok((lines, report.unrepaired() == 0))
}

/// `index entries whose subscription is gone: 1 (removed)`.
fn line(finding: &Finding, repair: bool) -> String {
    let Finding {
        problem,
        found,
        repaired,
    } = *finding;
    let (what, done) = words(problem);
    let left = found - repaired;
    let outcome = match (repair, repaired, left) {
        (_, _, _) if found == 0 => String::new(),
        (false, _, _) => String::new(),
        (true, _, 0) => format!(" ({done})"),
        (true, 0, _) => format!(" ({})", left_as_they_are(problem)),
        (true, _, _) => format!(" ({repaired} {done}, {left} left as they are)"),
    };
    format!("{what}: {found}{outcome}")
}

/// What a problem is, and what repairing it does.
fn words(problem: Problem) -> (&'static str, &'static str) {
    match problem {
        Problem::IndexEntryWithoutSubscription => {
            ("index entries whose subscription is gone", "removed")
        }
        Problem::SubscriptionNotIndexed => (
            "subscriptions missing from their target's index",
            "indexed again",
        ),
        Problem::IndexFiltersDiffer => (
            "index entries whose filters differ from their subscription's",
            "rewritten",
        ),
        Problem::MalformedIndexEntry => (
            "index entries that cannot be read (no uid and subscription id, or in another uid's part)",
            "removed",
        ),
        Problem::ModeFlagsDiffer => (
            "mode flags (disarmed, no follow-up) that disagree with their subscription",
            "corrected",
        ),
        Problem::TargetCountWrong => (
            "watched targets whose subscription count is wrong",
            "recounted",
        ),
        Problem::UserAtWrongUid => (
            "users at a uid their address does not lead to",
            "left as they are",
        ),
        Problem::TokenWithoutUser => ("sign-in tokens of users that do not exist", "removed"),
        Problem::UserKeyWithoutUser => (
            "history, version, webhook, held-alert and feed keys of users that do not exist",
            "removed",
        ),
        Problem::UnreadableUser => ("user documents that cannot be read", "left as they are"),
    }
}

/// What `--repair` says of a kind it repaired none of: for a kind it never
/// repairs, why.
fn left_as_they_are(problem: Problem) -> &'static str {
    match problem {
        Problem::UserAtWrongUid => {
            "left as they are; moving a user would change its uid under its tokens, so a person decides"
        }
        _ => "left as they are",
    }
}

/// `2 inconsistencies in 120 keys of 4 users on 3 cluster masters: all repaired.`
fn summary(report: &CheckReport, repair: bool) -> String {
    let plural = |n: u64, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    let servers = match report.cluster {
        true => plural(report.servers as u64, "cluster master", "cluster masters"),
        false => "1 Redis".to_owned(),
    };
    let scope = format!(
        "{} of {} on {servers}",
        plural(report.keys, "key", "keys"),
        plural(report.users, "user", "users"),
    );
    let found = report.found();
    let left = report.unrepaired();
    match (found, left, repair) {
        (0, _, _) => format!("No inconsistencies in {scope}."),
        (_, 0, _) => format!(
            "{} in {scope}: all repaired.",
            plural(found, "inconsistency", "inconsistencies")
        ),
        (_, _, false) => format!(
            "{} in {scope}: run redis-hack-server check --repair to repair them.",
            plural(found, "inconsistency", "inconsistencies")
        ),
        (_, _, true) => format!(
            "{} in {scope}: {} repaired, {left} left for a person to look at.",
            plural(found, "inconsistency", "inconsistencies"),
            found - left
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(problem: Problem, found: u64, repaired: u64) -> Finding {
        Finding {
            problem,
            found,
            repaired,
        }
    }

    #[test]
    fn each_line_names_the_kind_its_count_and_what_repair_did() {
        let stale = Problem::IndexEntryWithoutSubscription;
        assert_eq!(
            line(&finding(stale, 0, 0), true),
            "index entries whose subscription is gone: 0"
        );
        assert_eq!(
            line(&finding(stale, 1, 0), false),
            "index entries whose subscription is gone: 1"
        );
        assert_eq!(
            line(&finding(stale, 1, 1), true),
            "index entries whose subscription is gone: 1 (removed)"
        );
        assert_eq!(
            line(&finding(Problem::UnreadableUser, 2, 0), true),
            "user documents that cannot be read: 2 (left as they are)"
        );
        assert_eq!(
            line(&finding(stale, 3, 1), true),
            "index entries whose subscription is gone: 3 (1 removed, 2 left as they are)"
        );
        assert_eq!(
            line(&finding(Problem::UserAtWrongUid, 1, 0), true),
            "users at a uid their address does not lead to: 1 (left as they are; moving a user would change its uid under its tokens, so a person decides)"
        );
    }
}
