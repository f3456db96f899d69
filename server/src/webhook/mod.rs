//! Webhook delivery: Standard Webhooks signatures (`sign`), the SSRF guard
//! (`guard`), the HTTP client that uses both (`client`), the job as queued
//! (`job`) and the worker that delivers, retries and disables (`worker`).

pub mod client;
pub mod guard;
pub mod job;
pub mod sign;
pub mod worker;

pub use client::HookClient;
pub use job::WebhookJob;
pub use worker::{WebhookHandler, WebhookWorker};
