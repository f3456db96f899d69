//! Crash points for tests: with `REDIS_HACK_FAILPOINT=<name>` in its
//! environment the process aborts (like `kill -9`) when it reaches the named
//! point, between two writes of one user action, so a test can check what
//! `redis-hack-server check` finds and repairs. Unset in production.

/// Aborts the process if `REDIS_HACK_FAILPOINT` names `point`.
pub(super) fn hit(point: &str) {
    if std::env::var("REDIS_HACK_FAILPOINT").is_ok_and(|v| v == point) {
        eprintln!("failpoint {point}: aborting");
        std::process::abort();
    }
}
