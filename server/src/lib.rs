//! redis-hack-server: the backend of redis-hack. It issues one-time codes by
//! email, keeps users and their subscriptions in Redis (RedisJSON), and serves
//! CoWIN location metadata with conditional GET.
//!
//! Start with [`app::Application`]; the HTTP surface is in `routes`, storage in
//! `store` (the only module that talks to Redis), email in `mail`, the queues
//! both workers share in `delivery` (the workers are `alerts` and `webhook`).
//! A module imports only modules below it; ARCHITECTURE.md lists them bottom up.

pub mod alerts;
pub mod app;
pub mod config;
pub mod delivery;
pub mod error;
mod extract;
pub mod locations;
pub mod mail;
pub mod metrics;
pub mod net;
pub mod openapi;
pub mod ops;
pub mod poller;
pub mod roles;
mod routes;
mod serve;
mod state;
pub mod store;
pub mod unsubscribe;
pub mod upstream;
pub mod webhook;
pub mod workers;

/// How the API makes a subscription (its id a digest of what it watches, so
/// the same one twice is refused); the benchmarks fill Redis the same way.
pub use routes::subscriptions::new_subscription;

pub use app::Application;
pub use config::Settings;
