//! Delivery, as both workers share it: the queue pump and the `Handler` it
//! drives (`pump`), what became of a job (`outcome`), and the jobs as they
//! travel through the queues: an alert for one user (`alert_job`, the email
//! queue) and one alert for one subscription's webhook (`webhook_job`, the
//! webhook queue). The email worker (`alerts`) and the webhook worker
//! (`webhook`) build on this and not on each other.

pub mod alert_job;
pub mod outcome;
pub mod pump;
pub mod webhook_job;

pub use alert_job::{AlertJob, NewJob};
pub use outcome::Outcome;
pub use pump::{Handler, Pass, Pump};
pub use webhook_job::WebhookJob;
