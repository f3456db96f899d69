//! `AlertJob`: one email's worth of openings for one user and one watched
//! district, as it travels through the queue (JSON in the stream).

use redis_hack_shared::Session;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertJob {
    pub uid: String,
    /// The polled target, `d:{district_id}` or `p:{pincode}`.
    pub target: String,
    /// The user's subscriptions these openings matched.
    pub sids: Vec<String>,
    /// Every newly open matching session, for one email.
    pub sessions: Vec<Session>,
    /// When we fetched the data (ms since the epoch).
    pub fetched_at_ms: u64,
    /// The upstream's `Date` header on that answer, if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_date: Option<String>,
    /// When detection saw the opening (ms since the epoch).
    pub detected_at_ms: u64,
    /// Delivery attempts that failed so far.
    #[serde(default)]
    pub attempt: u32,
}
