//! Queue partitions: each delivery queue (stream, retry set, dead letters) is
//! split into `QUEUE_PARTITIONS` partitions, each with its own hash tag, so a
//! Redis Cluster spreads them over its masters. A job goes to the partition of
//! its user ([`QueuePartitions::of`]), so one user's alerts stay in order.
//!
//! The tags are chosen, not hashed at random: partition `n`'s tag is `q{n}`,
//! or `q{n}.{k}` for the smallest `k >= 1`, whose Redis Cluster slot
//! (CRC16 mod 16384) lies in third `n mod 3` of the slot space, the three
//! ranges `redis-cli --cluster create` gives three masters (0-5460,
//! 5461-10922, 10923-16383). So 16 partitions fall 6/5/5 on three masters,
//! and any count spreads evenly over them.

use super::{Store, StoreError};
use redis_hack_shared::UserId;
use std::fmt;

/// How many partitions each queue has: 1 to [`QueuePartitions::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePartitions(u16);

impl QueuePartitions {
    pub const DEFAULT: u16 = 16;
    pub const MAX: u16 = 1024;

    /// `n` partitions; an error sentence when `n` is out of range.
    pub fn new(n: u64) -> Result<Self, String> {
        match u16::try_from(n) {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(format!(
                "must be a whole number from 1 to {} (got {n})",
                Self::MAX
            )),
        }
    }

    pub fn count(self) -> usize {
        usize::from(self.0)
    }

    /// Every partition, in order.
    pub fn all(self) -> impl Iterator<Item = Partition> {
        (0..self.0).map(Partition)
    }

    /// The partition of `uid`'s jobs: a stable hash (FNV-1a, the same in
    /// every process and release) of the uid, modulo the count.
    pub fn of(self, uid: &UserId) -> Partition {
        let hash = uid
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        Partition((hash % u64::from(self.0)) as u16)
    }
}

impl Default for QueuePartitions {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

/// One partition of a queue, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition(u16);

impl Partition {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The Redis Cluster slot of this partition's keys (which master holds it).
    pub fn slot(self) -> u16 {
        slot(&self.tag())
    }

    /// The hash tag of this partition's keys (see the module header).
    pub fn tag(self) -> String {
        let third = self.0 % 3;
        let (lo, hi) = (third * 5461, [5460, 10922, 16383][usize::from(third)]);
        (0..)
            .map(|k| match k {
                0 => format!("q{}", self.0),
                k => format!("q{}.{k}", self.0),
            })
            .find(|tag| (lo..=hi).contains(&slot(tag)))
            .unwrap_or_default()
    }
}

/// A job on a partitioned stream (or in its dead letters): the partition and
/// the stream entry id. Written `{partition}/{entry}`, e.g. `3/1764669000000-0`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId {
    pub partition: Partition,
    pub entry: String,
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.partition.0, self.entry)
    }
}

impl std::str::FromStr for JobId {
    type Err = StoreError;

    /// `{partition}/{ms}-{seq}`, as [`JobId`] is displayed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StoreError::Corrupt(format!("'{s}' is not a job id like 3/1764669000000-0"));
        let (p, entry) = s.split_once('/').ok_or_else(bad)?;
        let (ms, seq) = entry.split_once('-').ok_or_else(bad)?;
        let numeric = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        match (p.parse::<u16>(), numeric(ms) && numeric(seq)) {
            (Ok(p), true) if p < QueuePartitions::MAX => Ok(Self {
                partition: Partition(p),
                entry: entry.to_owned(),
            }),
            _ => Err(bad()),
        }
    }
}

impl Store {
    /// Records this store's partition count in `{p}queue:partitions` (the
    /// first process to start) or checks it against the one recorded: a
    /// process with another count would queue jobs on partitions no worker
    /// reads, or leave some unread.
    pub async fn check_queue_partitions(&self) -> Result<(), StoreError> {
        let configured = self.partitions.count();
        let found: Option<String> = redis::cmd("SET")
            .arg(self.key("queue:partitions"))
            .arg(configured)
            .arg("NX")
            .arg("GET")
            .query_async(&mut self.conn())
            .await?;
        match found {
            Some(v) if v.parse() != Ok(configured) => Err(StoreError::QueuePartitions {
                prefix: self.prefix.clone(),
                found: v.chars().take(20).collect(),
                configured,
            }),
            _ => Ok(()),
        }
    }
}

/// The Redis Cluster slot of a key whose hash tag is `tag`.
pub(super) fn slot(tag: &str) -> u16 {
    crc16(tag.as_bytes()) % 16384
}

/// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (0..8).fold(crc ^ (u16::from(b) << 8), |c, _| match c & 0x8000 {
            0 => c << 1,
            _ => (c << 1) ^ 0x1021,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_is_the_one_redis_cluster_uses() {
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(slot("foo"), 12182); // CLUSTER KEYSLOT foo
    }

    #[test]
    fn the_default_partitions_spread_over_three_masters() {
        let parts = QueuePartitions::default();
        let mut per_master = [0; 3];
        for p in parts.all() {
            per_master[usize::from(p.slot() / 5461).min(2)] += 1;
        }
        assert_eq!(per_master, [6, 5, 5]);
        let tags: Vec<String> = parts.all().map(Partition::tag).collect();
        assert_eq!(&tags[..4], ["q0", "q1", "q2", "q3.3"]);
    }

    #[test]
    fn a_user_always_lands_in_the_same_partition_and_users_spread() {
        let parts = QueuePartitions::new(4).unwrap();
        let uid = |i: u32| UserId::parse(&format!("{i:016x}")).unwrap();
        assert_eq!(parts.of(&uid(7)), parts.of(&uid(7)));
        let used: std::collections::BTreeSet<Partition> =
            (0..64).map(|i| parts.of(&uid(i))).collect();
        assert_eq!(used.len(), 4);
    }

    #[test]
    fn the_count_is_checked() {
        assert!(QueuePartitions::new(0).is_err());
        assert!(QueuePartitions::new(1025).is_err());
        assert_eq!(QueuePartitions::new(1024).unwrap().count(), 1024);
        assert_eq!(QueuePartitions::new(1).unwrap().all().count(), 1);
    }

    #[test]
    fn job_ids_read_back_as_written() {
        let id: JobId = "3/1764669000000-0".parse().unwrap();
        assert_eq!(id.partition.index(), 3);
        assert_eq!(id.to_string(), "3/1764669000000-0");
        for bad in ["0-1", "x/1-0", "3/", "3/abc", "99999/1-0"] {
            assert!(bad.parse::<JobId>().is_err(), "{bad}");
        }
    }
}
