//! Subscriptions on the wire: creating one (`POST /v1/subscriptions`), what
//! one looks like in every answer (`Subscription`), and how its alerts behave
//! over an opening's life: one-shot (`once`, `armed`), the `Gone:` follow-up
//! (`followup`), quiet hours (`quiet`, `tz`, `held`), what is open the moment
//! it is made (`open_now`), and a suspended email channel.

use crate::delivery::WebhookStatus;
use crate::domain::WebhookUrl;
use crate::domain::{DistrictId, EmailAddress, Filters, Pincode, SubscriptionId, TopicName};
use crate::session::Session;
use crate::target::{Target, TargetFields, TargetSpec, TargetSpecError};
use crate::time::{QuietHours, TimeZoneName, Timestamp};
use serde::{Deserialize, Serialize};

/// Where alerts go: email (on unless turned off) and/or a signed webhook.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Channels {
    #[serde(default = "yes")]
    pub email: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookUrl>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for Channels {
    fn default() -> Self {
        Self {
            email: true,
            webhook: None,
        }
    }
}

/// `POST /v1/subscriptions`: exactly one of `district_id`, `state` + `district`
/// names, `pincode`, or `topic`; filters, channels and how alerts behave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_id: Option<DistrictId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pincode: Option<Pincode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<TopicName>,
    #[serde(default)]
    pub filters: Filters,
    #[serde(default)]
    pub channels: Channels,
    /// One alert, then the subscription disarms until `rearm`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub once: bool,
    /// A `Gone:` follow-up when every session of an alert has closed (default on).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub followup: bool,
    /// Hold alerts in this daily window and send one digest when it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<QuietHours>,
    /// The zone of `quiet` and of the times in alert emails (default `Asia/Kolkata`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<TimeZoneName>,
}

impl Default for CreateSubscriptionRequest {
    fn default() -> Self {
        Self {
            district_id: None,
            state: None,
            district: None,
            pincode: None,
            topic: None,
            filters: Filters::default(),
            channels: Channels::default(),
            once: false,
            followup: true,
            quiet: None,
            tz: None,
        }
    }
}

impl CreateSubscriptionRequest {
    /// Refuses a state or district name longer than [`crate::MAX_NAME_CHARS`].
    pub fn check_lengths(&self) -> Result<(), crate::FieldTooLong> {
        crate::check_len("state", self.state.as_deref(), crate::MAX_NAME_CHARS)?;
        crate::check_len("district", self.district.as_deref(), crate::MAX_NAME_CHARS)
    }

    /// The one target the request names.
    pub fn target(&self) -> Result<TargetSpec, TargetSpecError> {
        let fields = TargetFields {
            district_id: self.district_id,
            state: self.state.as_deref(),
            district: self.district.as_deref(),
            pincode: self.pincode.as_ref(),
            topic: self.topic.as_ref(),
        };
        TargetSpec::for_subscription(fields, &self.filters)
    }
}

/// The `201` answer to `POST /v1/subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The webhook's signing secret (`whsec_...`), shown this once only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

/// One thing a user watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// Stable for the same target and filters, so a duplicate is detectable.
    pub id: SubscriptionId,
    pub target: Target,
    pub filters: Filters,
    pub channels: Channels,
    pub created_at: Timestamp,
    /// A one-shot subscription: it disarms after its first alert.
    #[serde(default)]
    pub once: bool,
    /// Whether it alerts; false only for a one-shot subscription that has alerted.
    #[serde(default = "yes")]
    pub armed: bool,
    /// When the alert that disarmed it was detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disarmed_at: Option<Timestamp>,
    /// Whether a `Gone:` follow-up comes when an alert's sessions have all closed.
    #[serde(default = "yes")]
    pub followup: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<QuietHours>,
    pub tz: TimeZoneName,
    /// Alerts held by quiet hours right now, for the digest at the window's end.
    #[serde(default)]
    pub held: u32,
    /// Only in the answers to subscribe, rearm and verify: the sessions of
    /// the target open right now for these filters, from the latest poll
    /// (`history.last_poll_at` says when); empty when nothing is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_now: Option<Vec<Session>>,
    /// What the alert engine last did for it; empty until the poller runs.
    #[serde(default, skip_serializing_if = "History::is_empty")]
    pub history: History,
    /// The webhook's delivery state, when the subscription has a webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookStatus>,
}

impl Subscription {
    /// A subscription with the default alert behaviour: armed, every time,
    /// with a follow-up, no quiet hours, times in `Asia/Kolkata`.
    pub fn new(
        id: SubscriptionId,
        target: Target,
        filters: Filters,
        channels: Channels,
        created_at: Timestamp,
    ) -> Self {
        Self {
            id,
            target,
            filters,
            channels,
            created_at,
            once: false,
            armed: true,
            disarmed_at: None,
            followup: true,
            quiet: None,
            tz: TimeZoneName::default(),
            held: 0,
            open_now: None,
            history: History::default(),
            webhook: None,
        }
    }
}

/// Answers "why did I not get an alert?".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    /// The last poll of the subscription's district or pincode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_at: Option<Timestamp>,
    /// The last time a session opened that matched its filters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_match_at: Option<Timestamp>,
    /// The last alert the SMTP server (or the receiver) accepted for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_alert_at: Option<Timestamp>,
}

impl History {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why alert emails to the user stopped: the mail server refused the
/// address for good (a 5xx reply). Registering and verifying again clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailSuspension {
    /// The mail server's reply, e.g. `550 5.1.1 mailbox unavailable`.
    pub reason: String,
    pub since: Timestamp,
}

/// `GET /v1/subscriptions`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionsResponse {
    pub email: EmailAddress,
    /// Set while alert emails are suspended (webhooks still deliver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_suspended: Option<EmailSuspension>,
    pub subscriptions: Vec<Subscription>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_defaults_to_email_every_time_with_a_follow_up() {
        let r: CreateSubscriptionRequest = serde_json::from_str(r#"{"pincode":"800001"}"#).unwrap();
        assert!(r.channels.email && r.followup && !r.once);
        assert_eq!(
            (&r.filters, r.quiet, &r.tz),
            (&Filters::default(), None, &None)
        );
        assert_eq!(
            r,
            CreateSubscriptionRequest {
                pincode: r.pincode.clone(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn a_request_refuses_a_bad_window_or_zone_naming_it() {
        for (body, why) in [
            (
                r#"{"pincode":"800001","quiet":"25:00-07:00"}"#,
                "'25:00' is not a time of day",
            ),
            (
                r#"{"pincode":"800001","tz":"Mars/Olympus"}"#,
                "'Mars/Olympus' is not a time zone",
            ),
        ] {
            let e = serde_json::from_str::<CreateSubscriptionRequest>(body).unwrap_err();
            assert!(e.to_string().contains(why), "{body}: {e}");
        }
    }
}
