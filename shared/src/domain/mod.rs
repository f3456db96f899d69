//! Validated domain types. Each has a `parse` constructor that is the only way
//! to build it, and deserialising goes through the same `parse`.

mod email;
mod filters;
mod ids;
mod location;
mod otp;
mod text;
mod topic;
mod webhook;

pub use email::{EmailAddress, EmailError};
pub use filters::{AgeLimit, Dose, FeeType, FilterError, Filters, MinCapacity, Vaccine};
pub use ids::{DistrictId, IdError, SubscriptionId, UserId};
pub use location::{Pincode, PincodeError, StateId};
pub use otp::{OtpCode, OtpCodeError};
pub use text::{FieldTooLong, MAX_DEVICE_CHARS, MAX_NAME_CHARS, check_len};
pub use topic::{TopicError, TopicName};
pub use webhook::{WebhookUrl, WebhookUrlError};
