//! The webhook worker's decision after an attempt, without I/O: acknowledge,
//! retry on `WEBHOOK_RETRY_SCHEDULE` (never sooner than the receiver's
//! `Retry-After`, capped at a day), dead-letter, or disable the webhook (410
//! Gone, or failing without a success for `WEBHOOK_DISABLE_AFTER`).

use super::client::Delivery;
use crate::delivery::Step;
use std::time::Duration;

/// The longest `Retry-After` a receiver can make us wait.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// How webhook deliveries are retried and when a webhook is turned off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookPolicy {
    /// Waits before the 2nd, 3rd, ... attempt; dead-lettered after the last.
    pub schedule: Vec<Duration>,
    /// A webhook failing without a success this long is disabled.
    pub disable_after: Duration,
}

/// What to do after attempt `failures + 1` came to `result` at `now_ms`,
/// for a webhook failing since `failing_since_ms` (this attempt included;
/// ignored on success). `jitter` scales the scheduled wait (0.9 to 1.1).
pub fn next_step(
    failures: u32,
    result: &Delivery,
    policy: &HookPolicy,
    failing_since_ms: u64,
    now_ms: u64,
    jitter: f64,
) -> Step {
    let (summary, retry_after) = match result {
        Delivery::Delivered(_) => return Step::Ack,
        Delivery::Gone => return Step::Disable("the receiver answered 410 Gone".into()),
        Delivery::Failed(summary) => (summary, None),
        Delivery::Retry { result, after } => (result, Some(after)),
    };
    let failing_for = Duration::from_millis(now_ms.saturating_sub(failing_since_ms));
    if failing_for >= policy.disable_after {
        return Step::Disable(format!(
            "it failed for {} h without a success (last: {summary})",
            failing_for.as_secs() / 3600
        ));
    }
    match (retry_after, policy.schedule.get(failures as usize)) {
        (Some(after), Some(step)) => {
            let asked = after.unwrap_or_default().min(MAX_RETRY_AFTER);
            let wait = step.mul_f64(jitter).max(asked);
            Step::Retry {
                due_ms: now_ms + wait.as_millis() as u64,
            }
        }
        // Not worth retrying, or out of attempts.
        _ => Step::Dead(summary.clone()),
    }
}

/// What an attempt got, as the webhook's state shows it: the status code,
/// or what went wrong (`timeout`, `refused: ...`).
pub fn summary(result: &Delivery) -> String {
    match result {
        Delivery::Delivered(code) => code.to_string(),
        Delivery::Gone => "410".into(),
        Delivery::Failed(s) | Delivery::Retry { result: s, .. } => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    fn policy() -> HookPolicy {
        HookPolicy {
            schedule: vec![Duration::from_secs(5), Duration::from_secs(300)],
            disable_after: Duration::from_secs(5 * 86_400),
        }
    }

    fn retry(after: Option<u64>) -> Delivery {
        Delivery::Retry {
            result: "503".into(),
            after: after.map(Duration::from_secs),
        }
    }

    #[test]
    fn a_2xx_is_acknowledged_and_a_410_turns_the_webhook_off() {
        let p = policy();
        assert_eq!(
            next_step(0, &Delivery::Delivered(204), &p, 0, 0, 1.0),
            Step::Ack
        );
        assert_eq!(
            next_step(0, &Delivery::Gone, &p, 0, 0, 1.0),
            Step::Disable("the receiver answered 410 Gone".into())
        );
    }

    #[test]
    fn retries_follow_the_schedule_but_never_before_retry_after_nor_past_the_last_step() {
        let p = policy();
        let now = 1_000 * S;
        let at = |failures, result: &Delivery| next_step(failures, result, &p, now, now, 1.0);
        assert_eq!(
            at(0, &retry(None)),
            Step::Retry {
                due_ms: now + 5 * S
            }
        );
        assert_eq!(
            at(1, &retry(Some(10))),
            Step::Retry {
                due_ms: now + 300 * S
            }
        );
        assert_eq!(
            at(0, &retry(Some(60))),
            Step::Retry {
                due_ms: now + 60 * S
            }
        );
        assert_eq!(
            at(0, &retry(Some(10 * 86_400))),
            Step::Retry {
                due_ms: now + 86_400 * S
            },
            "Retry-After is capped at a day"
        );
        assert_eq!(
            at(2, &retry(None)),
            Step::Dead("503".into()),
            "out of attempts"
        );
        let refused = Delivery::Failed("refused: private address".into());
        assert_eq!(
            at(0, &refused),
            Step::Dead("refused: private address".into())
        );
    }

    #[test]
    fn a_webhook_failing_for_longer_than_the_limit_is_disabled() {
        let p = policy();
        let since = 0;
        let now = 5 * 86_400 * S;
        match next_step(0, &retry(None), &p, since, now, 1.0) {
            Step::Disable(why) => assert!(why.contains("120 h") && why.contains("503"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            next_step(0, &retry(None), &p, since, now - 1, 1.0),
            Step::Retry { .. }
        ));
    }
}
