//! `GET /v1/status`: how the poller and the alert queue are doing, for
//! operators (and for the question "why did I not get an alert?").

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusResponse {
    pub budget: BudgetStatus,
    /// Counters of the current budget window.
    pub window: WindowCounts,
    pub queue: QueueStatus,
    /// Watched targets, most subscribed first.
    pub targets: Vec<TargetStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetStatus {
    pub calls: u32,
    pub window_secs: u64,
    /// Calls taken in the last window, by every server process.
    pub in_use: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowCounts {
    pub calls: u64,
    pub not_modified: u64,
    pub errors: u64,
    pub alerts: u64,
    pub deferred: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueStatus {
    /// Jobs in the stream, including those a worker holds.
    pub queued: u64,
    pub retrying: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetStatus {
    /// `d:{district_id}` or `p:{pincode}`.
    pub target: String,
    pub subscriptions: u64,
    /// The interval the scheduler gave it at its last poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_at: Option<Timestamp>,
    /// `200`, `304`, or the error of the last poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_poll_at: Option<Timestamp>,
}

/// `GET /v1/slots[?district_id=N]`: what is open now in the user's districts,
/// from the server's latest fetch (no upstream call is made for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotsResponse {
    pub districts: Vec<DistrictSlots>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictSlots {
    pub district_id: crate::domain::DistrictId,
    pub district_name: String,
    /// When the server last checked this district; none if never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<Timestamp>,
    /// Sessions with at least one open slot.
    pub sessions: Vec<crate::session::Session>,
}
