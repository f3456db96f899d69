//! Bodies for delivery beyond email: a webhook's state as `list` shows it,
//! and the publisher API (`POST /v1/topics/{topic}/openings`).

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a subscription's webhook is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookStatus {
    /// The last delivery the receiver answered with a 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivery_at: Option<Timestamp>,
    /// The last attempt, successful or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<Timestamp>,
    /// What the last attempt got: `200`, `500`, `timeout`, `refused: ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_result: Option<String>,
    /// Failed attempts since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// Set once the webhook is disabled; nothing is sent to it after that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

/// An opening a publisher announces, e.g. a seat freed in a full class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, try_from = "RawOpening")]
pub struct Opening {
    /// The publisher's id for it; an id already announced on the topic is not sent again.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 128, pattern = r"\S")
    )]
    pub id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub details: String,
    /// How many places opened.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub capacity: u32,
    /// Where to act on it (an http or https URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2048, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://\S*$")
    )]
    pub link: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpening {
    id: String,
    title: String,
    #[serde(default)]
    details: String,
    capacity: u32,
    #[serde(default)]
    link: Option<String>,
}

impl TryFrom<RawOpening> for Opening {
    type Error = String;
    fn try_from(r: RawOpening) -> Result<Self, String> {
        let id = r.id.trim();
        if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
            return Err("id must be 1 to 128 characters without control characters".into());
        }
        let title = r.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err("title must be 1 to 200 characters".into());
        }
        if r.details.chars().count() > 2000 {
            return Err("details must be at most 2000 characters".into());
        }
        if r.capacity == 0 {
            return Err("capacity must be at least 1".into());
        }
        if let Some(link) = &r.link {
            let lower = link.to_ascii_lowercase();
            let web = lower.starts_with("https://") || lower.starts_with("http://");
            if !web || link.len() > 2048 || link.chars().any(|c| c.is_whitespace()) {
                return Err("link must be an http or https URL of at most 2048 characters".into());
            }
        }
        Ok(Self {
            id: id.to_owned(),
            title: title.to_owned(),
            details: r.details,
            capacity: r.capacity,
            link: r.link,
        })
    }
}

/// The `202` answer to a published opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishResponse {
    /// Users an alert was queued for (0 when nobody watches the topic).
    pub queued: usize,
    /// True when this opening id was announced before; nothing was queued.
    pub duplicate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_is_checked_when_read() {
        let ok: Opening =
            serde_json::from_str(r#"{"id":"cs101-7","title":"CS101 seat","capacity":1}"#).unwrap();
        assert_eq!(ok.capacity, 1);
        for (body, why) in [
            (r#"{"id":"","title":"t","capacity":1}"#, "id must"),
            (r#"{"id":"x","title":"t","capacity":0}"#, "capacity"),
            (
                r#"{"id":"x","title":"t","capacity":1,"link":"javascript:x"}"#,
                "link",
            ),
            (
                r#"{"id":"x","title":"t","capacity":1,"seats":2}"#,
                "unknown field",
            ),
        ] {
            let e = serde_json::from_str::<Opening>(body)
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{body}: {e}");
        }
    }
}
