//! `WebhookJob`: one alert for one subscription's webhook, as it travels
//! through the webhook queue. The body is built once, when the email worker
//! routes the alert, so every retry sends the same bytes under the same
//! `webhook-id` (`msg_` + a digest of the alert job's id and the subscription).
//!
//! The body follows Standard Webhooks' shape: `{"type", "timestamp", "data"}`,
//! with `type` `slots.opened` (a polled district or pincode),
//! `slots.closed` (its `Gone:` follow-up: the same subscription and
//! sessions, and the `alert_id` it follows) or `opening.published` (a
//! topic), and `data` holding what the email shows.

use super::{AlertJob, DeliveryError};
use crate::upstream::BOOKING_URL;
use redis_hack_shared::{Subscription, SubscriptionId, Target, UserId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    /// The `webhook-id`: the same on every attempt.
    pub msg_id: String,
    pub uid: UserId,
    pub sid: SubscriptionId,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempt: u32,
    /// When the opening was detected (ms since the epoch), for the
    /// detection-to-delivery metric; 0 in jobs queued before it was kept.
    #[serde(default)]
    pub detected_at_ms: u64,
}

impl WebhookJob {
    /// The webhook job of `sub` for the alert `job`.
    pub fn for_alert(job: &AlertJob, sub: &Subscription) -> Self {
        let digest = Sha256::digest(format!("{}:{}:{}", job.id, job.uid, sub.id).as_bytes());
        let kind = match (&sub.target, &job.follows) {
            (Target::Topic { .. }, _) => "opening.published",
            (_, Some(_)) => "slots.closed",
            _ => "slots.opened",
        };
        let mut data = json!({
            "subscription_id": sub.id,
            "target": sub.target,
            "filters": sub.filters,
            "fetched_at": rfc3339(job.fetched_at_ms),
            "detected_at": rfc3339(job.detected_at_ms),
        });
        if !job.sessions.is_empty() {
            data["sessions"] = json!(job.sessions);
            data["booking_url"] = json!(BOOKING_URL);
        }
        if !job.openings.is_empty() {
            data["openings"] = json!(job.openings);
        }
        // A `slots.closed` names the alert of its `slots.opened`.
        data["alert_id"] = json!(job.follows.as_ref().unwrap_or(&job.id));
        if let Some(date) = &job.upstream_date {
            data["upstream_date"] = json!(date);
        }
        let body = json!({
            "type": kind,
            "timestamp": rfc3339(job.detected_at_ms),
            "data": data,
        });
        Self {
            msg_id: format!("msg_{}", &hex::encode(digest)[..24]),
            uid: job.uid.clone(),
            sid: sub.id.clone(),
            body: body.to_string(),
            attempt: 0,
            detected_at_ms: job.detected_at_ms,
        }
    }

    /// The job as the queue holds it.
    pub fn to_json(&self) -> Result<String, DeliveryError> {
        serde_json::to_string(self).map_err(DeliveryError::Encode)
    }
}

/// `2026-11-24T10:15:00.123Z` for ms since the Unix epoch.
pub fn rfc3339(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, min, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_512_345_678), "2026-11-24T09:25:45.678Z");
    }
}
