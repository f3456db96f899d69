//! Webhook delivery: Standard Webhooks signatures (`sign`), the SSRF guard
//! (`guard`), the HTTP client that uses both (`client`) and the worker that
//! delivers, retries and disables (`worker`, its decisions in `decide`). The
//! job itself is `crate::delivery::WebhookJob`.

pub mod client;
pub mod decide;
pub mod guard;
pub mod sign;
pub mod worker;

pub use client::HookClient;
pub use decide::HookPolicy;
pub use worker::{WebhookHandler, WebhookWorker};
