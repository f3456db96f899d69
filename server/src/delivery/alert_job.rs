//! `AlertJob`: one email's worth of openings for one user and one watched
//! target, as it travels through the email queue (JSON in the stream). The
//! email worker also hands it on to the user's webhooks (`routed`).

use super::DeliveryError;
use redis_hack_shared::{Opening, Session, SubscriptionId, TargetKey, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertJob {
    /// Random, fixed at detection; webhook message ids derive from it, so a
    /// job handled twice gives its webhooks the same `webhook-id`.
    #[serde(default)]
    pub id: String,
    pub uid: UserId,
    pub target: TargetKey,
    /// The user's subscriptions these openings matched.
    pub sids: Vec<SubscriptionId>,
    /// Every newly open matching session (polled targets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<Session>,
    /// The published openings (topic targets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub openings: Vec<Opening>,
    /// When we fetched the data, or received the publication (ms since the epoch).
    pub fetched_at_ms: u64,
    /// The upstream's `Date` header on that answer, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_date: Option<String>,
    /// When detection saw the opening (ms since the epoch).
    pub detected_at_ms: u64,
    /// Delivery attempts that failed so far.
    #[serde(default)]
    pub attempt: u32,
    /// Whether the webhook jobs for it are queued already.
    #[serde(default)]
    pub routed: bool,
    /// Set on a `Gone:` follow-up: the id of the alert job it follows (its
    /// email's Message-ID is the one the follow-up replies to); `sessions`
    /// are then those sessions as last seen open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
    /// Set on the digest sent when a quiet window ends (it is `routed`: the
    /// held alerts' webhook events went out with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestNote>,
}

/// What a digest stands for: the alerts held during quiet hours, and how
/// many of their openings closed before the window ended (left out of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestNote {
    pub held: u32,
    pub closed: u32,
}

/// An `AlertJob` as detection writes it, with the sessions' JSON encoded
/// once and shared: a fan-out to 100,000 users would otherwise clone and
/// encode the same sessions 100,000 times (the largest cost of detection in
/// the fan-out profile, BENCHMARKS.md). Reads back as an `AlertJob`.
#[derive(Serialize)]
pub struct NewJob<'a> {
    pub id: String,
    pub uid: &'a UserId,
    pub target: &'a TargetKey,
    pub sids: &'a [SubscriptionId],
    pub sessions: &'a serde_json::value::RawValue,
    pub fetched_at_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_date: Option<&'a str>,
    pub detected_at_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<&'a str>,
}

impl AlertJob {
    /// A fresh random job id.
    pub fn new_id() -> String {
        hex::encode(rand::random::<[u8; 12]>())
    }

    /// The Message-ID of this job's email, without the angle brackets:
    /// the same on every attempt, and known to the follow-up that replies.
    pub fn message_id(job_id: &str, domain: &str) -> String {
        format!("alert.{job_id}@{domain}")
    }

    /// How many things opened: sessions or published openings.
    pub fn len(&self) -> usize {
        self.sessions.len() + self.openings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The job as the queue holds it.
    pub fn to_json(&self) -> Result<String, DeliveryError> {
        serde_json::to_string(self).map_err(DeliveryError::Encode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_job_reads_back_as_the_alert_job_it_stands_for() {
        let session: Session = serde_json::from_value(serde_json::json!({
            "session_id": "abc", "center_id": 1, "center_name": "PHC", "address": "Station Road",
            "pincode": "800001", "district_id": 97, "date": "25-11-2026", "vaccine": "COVAXIN",
            "min_age": 18, "capacity": 5, "capacity_dose1": 5, "capacity_dose2": 0,
            "fee_type": "free", "slots": ["09:00AM-11:00AM"]
        }))
        .unwrap();
        let sids = vec![SubscriptionId::parse("s1").unwrap()];
        let (uid, target) = (
            UserId::parse("u1").unwrap(),
            TargetKey::parse("d:97").unwrap(),
        );
        let raw = serde_json::value::to_raw_value(&vec![&session]).unwrap();
        let new = NewJob {
            id: "j1".into(),
            uid: &uid,
            target: &target,
            sids: &sids,
            sessions: &raw,
            fetched_at_ms: 10,
            upstream_date: Some("Mon, 30 Nov 2026 00:00:00 GMT"),
            detected_at_ms: 11,
            follows: None,
        };
        let back: AlertJob = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(
            back,
            AlertJob {
                id: "j1".into(),
                uid,
                target,
                sids,
                sessions: vec![session],
                openings: vec![],
                fetched_at_ms: 10,
                upstream_date: Some("Mon, 30 Nov 2026 00:00:00 GMT".into()),
                detected_at_ms: 11,
                attempt: 0,
                routed: false,
                follows: None,
                digest: None,
            }
        );
    }
}
