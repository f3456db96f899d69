//! Random codes, salts and tokens, and their hashes. Codes and tokens are
//! only ever stored hashed, and compared in constant time.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A uniformly random six-digit code, leading zeros allowed.
pub fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// 128 random bits, hex.
pub fn new_salt() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// A bearer token: 256 random bits, URL-safe base64, with a recognisable prefix.
pub fn new_token() -> String {
    let bytes = rand::random::<[u8; 32]>();
    format!(
        "rh_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub fn hash_code(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// Constant-time equality of two hashes.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50).map(|_| new_code()).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(codes.len() > 40, "50 random codes should rarely collide");
    }

    #[test]
    fn tokens_carry_at_least_128_bits() {
        let t = new_token();
        assert!(t.starts_with("rh_") && t.len() >= 3 + 43, "{t}");
        assert_ne!(t, new_token());
    }

    #[test]
    fn a_code_only_matches_its_own_salted_hash() {
        let salt = new_salt();
        let h = hash_code(&salt, "123456");
        assert!(same_hash(&h, &hash_code(&salt, "123456")));
        assert!(!same_hash(&h, &hash_code(&salt, "123457")));
        assert!(!same_hash(&h, &hash_code(&new_salt(), "123456")));
    }
}
