//! Validated domain types. Each has a `parse` constructor that is the only way
//! to build it, and deserialising goes through the same `parse`.

mod email;
mod filters;
mod ids;
mod location;
mod otp;
mod topic;
mod webhook;

pub use email::{EmailAddress, EmailError};
pub use filters::{AgeLimit, Dose, FeeType, FilterError, Filters, MinCapacity, Vaccine};
pub use ids::{DistrictId, IdError, SubscriptionId, UserId};
pub use location::{Pincode, PincodeError, StateId};
pub use otp::{OtpCode, OtpCodeError};
pub use topic::{TopicError, TopicName};
pub use webhook::{WebhookUrl, WebhookUrlError};
