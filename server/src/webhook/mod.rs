//! Webhook delivery building blocks (issue 4, in progress): Standard Webhooks
//! signatures and the SSRF guard that decides which addresses a webhook may
//! reach. Delivery itself is not wired in yet.

pub mod guard;
pub mod sign;
