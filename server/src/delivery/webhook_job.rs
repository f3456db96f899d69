//! `WebhookJob`: one alert for one subscription's webhook, as it travels
//! through the webhook queue. The body is built once, when the email worker
//! routes the alert, so every retry sends the same bytes under the same
//! `webhook-id` (`msg_` + a digest of the alert job's id and the subscription).
//!
//! The body follows Standard Webhooks' shape: `{"type", "timestamp", "data"}`,
//! with `type` `slots.opened` (a polled district or pincode),
//! `slots.closed` (its `Gone:` follow-up: the same subscription and
//! sessions, and the `alert_id` it follows) or `opening.published` (a
//! topic), and `data` holding what the email shows, every time as RFC 3339
//! (fetched, upstream `Date`, detected, sent) and the subscription's zone;
//! or `email.suspended` when the mail server refused the owner's address
//! for good and alert emails stopped.

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
    /// The webhook job of `sub` for the alert `job`, handed on now.
    pub fn for_alert(job: &AlertJob, sub: &Subscription) -> Self {
        Self::for_alert_at(job, sub, crate::store::now_ms())
    }

    /// The webhook job of `sub` for the alert `job`, handed on at `sent_ms`.
    pub fn for_alert_at(job: &AlertJob, sub: &Subscription, sent_ms: u64) -> Self {
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
            // The header as sent is kept in `upstream_date_header`; the time
            // itself is RFC 3339 like every other.
            data["upstream_date"] = match upstream_ms(date) {
                Some(ms) => json!(rfc3339(ms)),
                None => json!(null),
            };
            data["upstream_date_header"] = json!(date);
        }
        if let Some(note) = job.digest {
            // Held by quiet hours and sent when they ended.
            data["digest"] = json!({"held": note.held, "closed": note.closed});
        }
        data["sent_at"] = json!(rfc3339(sent_ms));
        data["data_age_s"] = json!(sent_ms.saturating_sub(job.fetched_at_ms) / 1000);
        data["tz"] = json!(sub.tz);
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

    /// The `email.suspended` event for `sub`'s webhook: the mail server
    /// refused its owner's address for good (`reason`, its reply) at `since_ms`.
    pub fn email_suspended(uid: &UserId, sub: &Subscription, reason: &str, since_ms: u64) -> Self {
        let digest = Sha256::digest(format!("suspended:{uid}:{}:{since_ms}", sub.id).as_bytes());
        let body = json!({
            "type": "email.suspended",
            "timestamp": rfc3339(since_ms),
            "data": {
                "subscription_id": sub.id,
                "reason": reason,
                "since": rfc3339(since_ms),
            },
        });
        Self {
            msg_id: format!("msg_{}", &hex::encode(digest)[..24]),
            uid: uid.clone(),
            sid: sub.id.clone(),
            body: body.to_string(),
            attempt: 0,
            detected_at_ms: 0,
        }
    }

    /// The job as the queue holds it.
    pub fn to_json(&self) -> Result<String, DeliveryError> {
        serde_json::to_string(self).map_err(DeliveryError::Encode)
    }
}

/// The upstream `Date` header (an HTTP date) as ms since the epoch.
pub fn upstream_ms(date: &str) -> Option<u64> {
    let at = httpdate::parse_http_date(date.trim()).ok()?;
    let since = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    u64::try_from(since.as_millis()).ok()
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
