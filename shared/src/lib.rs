//! The wire contract shared by the `redis-hack` CLI and `redis-hack-server`.
//!
//! Everything that crosses HTTP lives here: request and response bodies
//! (`XxxRequest` / `XxxResponse`), the one error body, and validated newtypes
//! whose only constructor is `parse`, so an invalid email address, code,
//! pincode or filter cannot exist on either side, not even after
//! deserialising. This crate knows nothing of axum, reqwest, redis or lettre.

pub mod api;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod feed;
#[cfg(feature = "openapi")]
mod openapi;
pub mod session;
pub mod status;
pub mod subscription;
pub mod target;
pub mod time;

pub use api::*;
pub use delivery::*;
pub use domain::*;
pub use error::{ErrorBody, ErrorDetail};
pub use feed::{FeedEvent, FeedKind};
pub use session::Session;
pub use status::*;
pub use subscription::*;
pub use target::*;
pub use time::{
    LocalTime, QuietHours, QuietHoursError, TimeZoneError, TimeZoneName, Timestamp, TimestampError,
};
