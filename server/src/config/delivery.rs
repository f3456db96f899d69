//! Delivery settings: how the email and webhook workers retry, how many
//! deliveries run at once, what webhooks may reach, and who may publish.

use super::vars::Vars;
use super::{ConfigError, Secret};
use crate::poller::schedule::parse_duration;
use crate::store::QueuePartitions;
use std::time::Duration;

/// `WORKER_CONCURRENCY`, `RETRY_*`, `QUEUE_RECLAIM_IDLE`, `QUEUE_PARTITIONS`, `WEBHOOK_*`, `PUBLISHER_KEYS`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `WORKER_CONCURRENCY` (16): deliveries one worker process runs at once, per channel.
    pub concurrency: usize,
    /// `SMTP_POOL_SIZE` (16): SMTP connections one process keeps open at most.
    pub smtp_pool_size: u32,
    /// `RETRY_ATTEMPTS` (8), `RETRY_BASE` (5s), `RETRY_MAX` (15m): email back-off.
    pub email_attempts: u32,
    pub email_retry_base: Duration,
    pub email_retry_max: Duration,
    /// `QUEUE_RECLAIM_IDLE` (60s): a job another worker has held this long is taken over.
    pub reclaim_idle: Duration,
    /// `QUEUE_PARTITIONS` (16, at most 1024): how many partitions (streams,
    /// each on its own Redis Cluster slot) each delivery queue is split into.
    /// Every process of one store must use the same number.
    pub queue_partitions: QueuePartitions,
    /// `WEBHOOK_RETRY_SCHEDULE` (`5s,5m,30m,2h,5h,10h,10h`): waits between
    /// attempts after the first, immediate one; the job is dead-lettered after the last.
    pub webhook_schedule: Vec<Duration>,
    /// `WEBHOOK_TIMEOUT` (15s): for connecting and for the whole answer.
    pub webhook_timeout: Duration,
    /// `WEBHOOK_DISABLE_AFTER` (5d): a webhook failing without a success this long is disabled.
    pub webhook_disable_after: Duration,
    /// `WEBHOOK_ALLOW_PRIVATE` (false): let webhooks reach loopback and private addresses.
    pub webhook_allow_private: bool,
    /// `PUBLISHER_KEYS`: comma-separated keys that may publish openings (none: publishing is off).
    pub publisher_keys: Vec<Secret>,
    /// `SHUTDOWN_GRACE` (25s): after SIGTERM, how long deliveries and polls in
    /// flight may take to finish; what is still running then stays queued.
    pub shutdown_grace: Duration,
}

impl DeliveryConfig {
    pub(super) fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            concurrency: vars.positive("WORKER_CONCURRENCY", "16")? as usize,
            smtp_pool_size: vars.positive("SMTP_POOL_SIZE", "16")?,
            email_attempts: vars.positive("RETRY_ATTEMPTS", "8")?,
            email_retry_base: vars.duration("RETRY_BASE", "5s")?,
            email_retry_max: vars.duration("RETRY_MAX", "15m")?,
            reclaim_idle: vars.duration("QUEUE_RECLAIM_IDLE", "60s")?,
            queue_partitions: queue_partitions(vars)?,
            webhook_schedule: schedule(vars)?,
            webhook_timeout: vars.duration("WEBHOOK_TIMEOUT", "15s")?,
            webhook_disable_after: vars.duration("WEBHOOK_DISABLE_AFTER", "5d")?,
            webhook_allow_private: vars.flag("WEBHOOK_ALLOW_PRIVATE", "false")?,
            publisher_keys: publisher_keys(vars)?,
            shutdown_grace: vars.duration("SHUTDOWN_GRACE", "25s")?,
        })
    }
}

fn queue_partitions(vars: &Vars) -> Result<QueuePartitions, ConfigError> {
    let raw = vars.get("QUEUE_PARTITIONS", "16");
    let n = raw
        .trim()
        .parse()
        .map_err(|_| format!("'{raw}' is not a whole number"));
    n.and_then(QueuePartitions::new)
        .map_err(|reason| ConfigError {
            var: "QUEUE_PARTITIONS",
            reason,
        })
}

fn schedule(vars: &Vars) -> Result<Vec<Duration>, ConfigError> {
    let raw = vars.get("WEBHOOK_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h");
    raw.split(',')
        .map(|d| parse_duration(d).ok_or(d.trim().to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|d| ConfigError {
            var: "WEBHOOK_RETRY_SCHEDULE",
            reason: format!("'{d}' is not a duration like 5s, 5m or 2h"),
        })
}

fn publisher_keys(vars: &Vars) -> Result<Vec<Secret>, ConfigError> {
    vars.get("PUBLISHER_KEYS", "")
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| match k.len() >= 16 {
            true => Ok(Secret::new(k)),
            false => Err(ConfigError {
                var: "PUBLISHER_KEYS",
                reason: "every key must be at least 16 characters long".into(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<DeliveryConfig, ConfigError> {
        let var = |name: &str| {
            let found = pairs.iter().find(|(k, _)| *k == name);
            found.map(|(_, v)| v.to_string())
        };
        DeliveryConfig::from_vars(&Vars::new(&var))
    }

    #[test]
    fn defaults_follow_svix_for_webhooks() {
        let c = config(&[]).unwrap();
        let hours: Vec<u64> = c.webhook_schedule.iter().map(|d| d.as_secs()).collect();
        assert_eq!(hours, [5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
        assert_eq!(c.webhook_disable_after, Duration::from_secs(5 * 86_400));
        assert!(!c.webhook_allow_private);
        assert!(c.publisher_keys.is_empty());
        assert_eq!(c.queue_partitions.count(), 16);
        let four = config(&[("QUEUE_PARTITIONS", "4")]).unwrap();
        assert_eq!(four.queue_partitions.count(), 4);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("WEBHOOK_RETRY_SCHEDULE", "5s,soon"),
            ("WEBHOOK_ALLOW_PRIVATE", "maybe"),
            ("PUBLISHER_KEYS", "short"),
            ("WORKER_CONCURRENCY", "0"),
            ("SMTP_POOL_SIZE", "none"),
            ("QUEUE_PARTITIONS", "0"),
            ("QUEUE_PARTITIONS", "1025"),
            ("QUEUE_PARTITIONS", "many"),
        ] {
            assert_eq!(config(&[(var, value)]).unwrap_err().var, var);
        }
    }
}
