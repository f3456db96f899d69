//! `AlertJob`: one email's worth of openings for one user and one watched
//! target, as it travels through the email queue (JSON in the stream). The
//! email worker also hands it on to the user's webhooks (`routed`).

use redis_hack_shared::{Opening, Session};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertJob {
    /// Random, fixed at detection; webhook message ids derive from it, so a
    /// job handled twice gives its webhooks the same `webhook-id`.
    #[serde(default)]
    pub id: String,
    pub uid: String,
    /// The target, `d:{district_id}`, `p:{pincode}` or `t:{topic}`.
    pub target: String,
    /// The user's subscriptions these openings matched.
    pub sids: Vec<String>,
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
}

impl AlertJob {
    /// A fresh random job id.
    pub fn new_id() -> String {
        hex::encode(rand::random::<[u8; 12]>())
    }

    /// How many things opened: sessions or published openings.
    pub fn len(&self) -> usize {
        self.sessions.len() + self.openings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
