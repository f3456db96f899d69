//! `Outcome`: what became of one delivery job, the same words for both
//! queues; `/metrics` counts jobs by it.

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the SMTP server, or answered 2xx by the receiver.
    Delivered,
    /// An email job whose subscriptions all deliver by webhook only: handed
    /// to the webhook queue, nothing emailed.
    Routed,
    /// Failed for now; parked for a later attempt.
    Retried,
    /// Out of attempts, or undeliverable: moved to the dead-letter stream.
    Dead,
    /// Dead-lettered because its webhook is (or was just) disabled.
    Disabled,
    /// For a user or subscription that no longer exists: acknowledged, not sent.
    Dropped,
    /// An email job whose subscriptions are all in their quiet hours: kept
    /// for the digest at the window's end, nothing sent now.
    Held,
    /// Refused for good by the mail server (5xx): the user's email channel
    /// is suspended; acknowledged, neither retried nor dead-lettered.
    Suspended,
}

impl Outcome {
    /// Its `outcome` label in `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Routed => "routed",
            Self::Retried => "retried",
            Self::Dead => "dead",
            Self::Disabled => "disabled",
            Self::Dropped => "dropped",
            Self::Held => "held",
            Self::Suspended => "suspended",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::DELIVERY_OUTCOMES;

    #[test]
    fn every_outcome_has_a_series_in_the_metrics_from_the_start() {
        let all = [
            Outcome::Delivered,
            Outcome::Routed,
            Outcome::Retried,
            Outcome::Dead,
            Outcome::Disabled,
            Outcome::Dropped,
            Outcome::Held,
            Outcome::Suspended,
        ];
        for outcome in all {
            assert!(
                DELIVERY_OUTCOMES
                    .iter()
                    .any(|(_, labels)| labels.contains(&outcome.label())),
                "{outcome:?}"
            );
        }
    }
}
