//! The layout version: `{p}layout` (a string) names the key layout the data
//! under this prefix was written in. Every process checks it when it
//! connects, before it reads or writes anything else: a missing key is set
//! on an empty store, and any other version stops the process with a
//! sentence saying what to do, instead of it misreading the data. A store
//! written by 0.1 had no version and is in layout 1: it is known by its
//! `{p}targets` or `{p}alerts` without a `{p}layout`, and refused as 1.

use super::{Store, StoreError};

/// The key layout this server reads and writes: 4 splits each target's
/// fan-out index into 16 parts of binary entries (`index_entry`), derives a
/// user's uid from the address instead of keeping an email lookup (`uids`),
/// and stores the version as one number and token records packed
/// (`version`, `tokens`); 3 keeps a user's
/// subscriptions at the root of the user document (`root_subs`; 2 had them
/// in a map under `s`, an object more per user); 2 is the sharded layout of
/// issue 14 (a hash tag per key group instead of one for the whole prefix);
/// 1 was the layout of 0.1 and 0.2.
pub const LAYOUT_VERSION: u64 = 4;

/// Stored values longer than this are cut in the refusal's sentence.
const SHOWN: usize = 40;

impl Store {
    /// Sets `{p}layout` to `LAYOUT_VERSION` if it is missing; fails with
    /// `StoreError::Layout` if it holds anything else.
    pub(super) async fn check_layout(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let stamped: Option<String> = redis::cmd("GET")
            .arg(self.key("layout"))
            .query_async(&mut conn)
            .await?;
        if stamped.is_none() {
            // One key at a time: on a cluster they live on different slots.
            for legacy in ["targets", "alerts"] {
                let exists: bool = redis::cmd("EXISTS")
                    .arg(self.key(legacy))
                    .query_async(&mut conn)
                    .await?;
                if exists {
                    return Err(StoreError::Layout {
                        prefix: self.prefix.clone(),
                        found: "1".into(),
                        expected: LAYOUT_VERSION,
                    });
                }
            }
        }
        let found: Option<String> = redis::cmd("SET")
            .arg(self.key("layout"))
            .arg(LAYOUT_VERSION)
            .arg("NX")
            .arg("GET")
            .query_async(&mut self.conn())
            .await?;
        match found {
            None => Ok(()),
            Some(v) if v.parse::<u64>() == Ok(LAYOUT_VERSION) => Ok(()),
            Some(v) => Err(StoreError::Layout {
                prefix: self.prefix.clone(),
                found: shown(&v),
                expected: LAYOUT_VERSION,
            }),
        }
    }
}

/// A stored version as the refusal names it: a number as it is, anything
/// else quoted (and cut), so an odd value is visibly not a version.
fn shown(stored: &str) -> String {
    match stored.parse::<u64>() {
        Ok(n) => n.to_string(),
        Err(_) if stored.chars().count() > SHOWN => {
            let cut: String = stored.chars().take(SHOWN).collect();
            format!("'{cut}…' (not a number)")
        }
        Err(_) => format!("'{stored}' (not a number)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_version_is_named_as_a_number_or_quoted() {
        assert_eq!(shown("2"), "2");
        assert_eq!(shown("two"), "'two' (not a number)");
        let long = shown(&"x".repeat(100));
        assert!(
            long.starts_with(&format!("'{}…'", "x".repeat(SHOWN))),
            "{long}"
        );
    }
}
