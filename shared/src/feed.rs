//! The live feed, `GET /v1/events`: a Server-Sent Events stream of the
//! signed-in user's own alerts as they are detected. Each event's `data:` is
//! one `FeedEvent` as JSON, and its SSE `id:` is `FeedEvent::id`, which a
//! client sends back as `Last-Event-ID` to resume without loss.

use crate::domain::SubscriptionId;
use crate::session::Session;
use crate::target::Target;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What happened to an opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FeedKind {
    /// Sessions opened that match the subscriptions named.
    #[serde(rename = "slots.opened")]
    SlotsOpened,
    /// Every session of an earlier `slots.opened` has closed.
    #[serde(rename = "slots.closed")]
    SlotsClosed,
}

impl FeedKind {
    /// The name on the wire (`slots.opened`), also the SSE `event:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SlotsOpened => "slots.opened",
            Self::SlotsClosed => "slots.closed",
        }
    }
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedEvent {
    /// Where the event sits in the user's feed (also the SSE `id:`); empty
    /// only before the server has stored it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FeedKind,
    /// When it was detected.
    pub timestamp: Timestamp,
    /// The alert it belongs to: a `slots.closed` names its `slots.opened`'s alert.
    pub alert_id: String,
    pub subscription_ids: Vec<SubscriptionId>,
    pub target: Target,
    /// Opened: the sessions now open. Closed: those sessions as last seen open.
    pub sessions: Vec<Session>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_webhook_event_types() {
        assert_eq!(
            serde_json::to_string(&FeedKind::SlotsOpened).unwrap(),
            "\"slots.opened\""
        );
        assert_eq!(FeedKind::SlotsClosed.as_str(), "slots.closed");
        let back: FeedKind = serde_json::from_str("\"slots.closed\"").unwrap();
        assert_eq!(back, FeedKind::SlotsClosed);
    }
}
