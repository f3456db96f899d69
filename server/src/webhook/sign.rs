//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): a
//! `whsec_` secret (base64 key), headers `webhook-id`, `webhook-timestamp`
//! (unix seconds) and `webhook-signature`: `v1,` + base64 of HMAC-SHA256
//! over `{id}.{timestamp}.{body}`. The same id is sent on every retry.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How far a receiver may let a timestamp drift before refusing it.
pub const TOLERANCE_SECS: u64 = 5 * 60;

/// Why a secret or a signature is not acceptable.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("a webhook secret starts with whsec_ followed by base64")]
    Secret,
    #[error("no v1 signature matches")]
    Mismatch,
    #[error("the timestamp is more than {TOLERANCE_SECS} s away from now")]
    Stale,
}

/// A signing secret, shown to its owner once as `whsec_…`.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// 32 random bytes.
    pub fn generate() -> Self {
        Self(rand::random::<[u8; 32]>().to_vec())
    }

    pub fn parse(text: &str) -> Result<Self, SignError> {
        let b64 = text.strip_prefix("whsec_").ok_or(SignError::Secret)?;
        let key = STANDARD.decode(b64).map_err(|_| SignError::Secret)?;
        if key.len() < 16 {
            return Err(SignError::Secret);
        }
        Ok(Self(key))
    }

    /// The form given to the user (and stored; it is needed to sign).
    pub fn expose(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    /// The `webhook-signature` header value for one delivery.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }

    /// Checks a `webhook-signature` header (space-separated `v1,…` entries)
    /// the way a receiver should: constant time, within the tolerance.
    pub fn verify(
        &self,
        id: &str,
        timestamp: u64,
        body: &[u8],
        header: &str,
        now: u64,
    ) -> Result<(), SignError> {
        if now.abs_diff(timestamp) > TOLERANCE_SECS {
            return Err(SignError::Stale);
        }
        let expected = self.mac(id, timestamp, body);
        let matches = header
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .any(|got| bool::from(got.ct_eq(&expected)));
        if matches {
            Ok(())
        } else {
            Err(SignError::Mismatch)
        }
    }

    fn mac(&self, id: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(whsec_[redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification's reference libraries.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: u64 = 1_614_265_330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_match_the_specifications_example() {
        let secret = Secret::parse(SPEC_SECRET).unwrap();
        assert_eq!(
            secret.sign(SPEC_ID, SPEC_TS, SPEC_BODY.as_bytes()),
            SPEC_SIG
        );
    }

    #[test]
    fn a_receiver_accepts_the_signature_and_refuses_tampering_and_replays() {
        let secret = Secret::generate();
        let sig = secret.sign("msg_1", 1_000, b"{}");
        assert_eq!(
            secret.verify("msg_1", 1_000, b"{}", &format!("v1,bogus {sig}"), 1_010),
            Ok(())
        );
        assert_eq!(
            secret.verify("msg_1", 1_000, b"{ }", &sig, 1_010),
            Err(SignError::Mismatch)
        );
        assert_eq!(
            secret.verify("msg_2", 1_000, b"{}", &sig, 1_010),
            Err(SignError::Mismatch)
        );
        assert_eq!(
            secret.verify("msg_1", 1_000, b"{}", &sig, 1_000 + 301),
            Err(SignError::Stale)
        );
        assert_eq!(
            Secret::generate().verify("msg_1", 1_000, b"{}", &sig, 1_010),
            Err(SignError::Mismatch)
        );
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let s = Secret::generate();
        assert_eq!(Secret::parse(&s.expose()).unwrap().expose(), s.expose());
        for bad in ["", "whsec_", "sk_abc", "whsec_!!!", "whsec_YWJj"] {
            assert!(Secret::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
    }
}
