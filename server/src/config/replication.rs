//! `REDIS_WAIT_REPLICAS` and `REDIS_WAIT_TIMEOUT_MS`: how many replicas the
//! writes that hold a subscriber's data wait for, and how long (issue 14;
//! `store/replication.rs`, ARCHITECTURE.md "Failover").

use super::ConfigError;
use super::vars::Vars;
use crate::store::ReplicationWait;
use std::time::Duration;

/// More replicas per master than this is a typo, not a deployment.
const MAX_REPLICAS: u64 = 16;
/// A `WAIT` must end well before the connections' 5 s response timeout
/// (which would count the node as dead), and a verify waits up to five
/// times in a row when the replicas are behind.
const MAX_TIMEOUT_MS: u64 = 2_000;

/// Both variables; the default (0 replicas) never waits.
pub(super) fn replication_wait(vars: &Vars) -> Result<ReplicationWait, ConfigError> {
    let replicas = vars.whole_in(
        "REDIS_WAIT_REPLICAS",
        "0",
        0..=MAX_REPLICAS,
        "the replicas each master's writes wait for (0: never wait)",
    )?;
    let timeout_ms = vars.whole_in(
        "REDIS_WAIT_TIMEOUT_MS",
        "200",
        1..=MAX_TIMEOUT_MS,
        "milliseconds a write waits for its replicas",
    )?;
    Ok(ReplicationWait {
        replicas: replicas as u32,
        timeout: Duration::from_millis(timeout_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(pairs: &[(&str, &str)]) -> Result<ReplicationWait, ConfigError> {
        let var = |name: &str| {
            let found = pairs.iter().find(|(k, _)| *k == name);
            found.map(|(_, v)| v.to_string())
        };
        replication_wait(&Vars::new(&var))
    }

    #[test]
    fn by_default_no_write_waits() {
        let w = wait(&[]).unwrap();
        assert_eq!(w.replicas, 0);
        assert_eq!(w.timeout, Duration::from_millis(200));
        let one = wait(&[
            ("REDIS_WAIT_REPLICAS", "1"),
            ("REDIS_WAIT_TIMEOUT_MS", "50"),
        ])
        .unwrap();
        assert_eq!((one.replicas, one.timeout), (1, Duration::from_millis(50)));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("REDIS_WAIT_REPLICAS", "-1"),
            ("REDIS_WAIT_REPLICAS", "one"),
            ("REDIS_WAIT_REPLICAS", "17"),
            ("REDIS_WAIT_TIMEOUT_MS", "0"),
            ("REDIS_WAIT_TIMEOUT_MS", "2001"),
            ("REDIS_WAIT_TIMEOUT_MS", "200ms"),
        ] {
            let e = wait(&[(var, value)]).unwrap_err();
            assert_eq!(e.var, var, "{value}");
            assert!(e.reason.contains(value), "{}", e.reason);
        }
    }
}
