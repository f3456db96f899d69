//! Bucketed hashes: many small records share one hash per bucket, so Redis
//! keeps each bucket a listpack (a few bytes of overhead per record) instead
//! of a key per record (~70 B more each; BENCHMARKS.md "Storage"). The token
//! lookup (`tokens`, `{p}tk:{B}`) is split this way.
//!
//! `LOOKUP_BUCKETS` (2^17) buckets hold ~8 records at 1M users and ~76 at
//! 10M, under Redis's `hash-max-listpack-entries` (128 in the sample
//! redis.conf, 512 compiled in), so every bucket stays a listpack. A value
//! longer than `hash-max-listpack-value` (64 B) turns its one bucket into a
//! hashtable; that costs memory for that bucket only.

/// How many buckets a bucketed lookup is split into (2^17).
pub(super) const LOOKUP_BUCKETS: u32 = 1 << 17;

/// The bucket of `digest`: its first 17 bits, as five hex digits.
pub(super) fn bucket_of(digest: &[u8]) -> String {
    let head = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{:05x}", head >> (32 - LOOKUP_BUCKETS.trailing_zeros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_five_hex_digits_below_the_bucket_count() {
        assert_eq!(bucket_of(&[0, 0, 0, 0]), "00000");
        assert_eq!(bucket_of(&[0xff, 0xff, 0xff, 0xff]), "1ffff");
        assert_eq!(bucket_of(&[0x80, 0, 0x80, 0]), "10001");
        let last = u32::from_str_radix(&bucket_of(&[0xff; 4]), 16).unwrap();
        assert_eq!(last, LOOKUP_BUCKETS - 1);
    }
}
