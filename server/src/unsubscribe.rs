//! One-click unsubscribe links (RFC 8058). A link names a user and the
//! subscriptions one alert email was about, and carries an HMAC over them, so
//! it works without logging in and cannot be forged or altered:
//! `{PUBLIC_URL}/unsubscribe/{uid}.{sid}-{sid}.{mac}`, with `mac` the first
//! 16 bytes of HMAC-SHA256 under a key kept in Redis, base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use redis_hack_shared::{SubscriptionId, UserId};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// What a valid token unsubscribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub uid: UserId,
    pub sids: Vec<SubscriptionId>,
}

/// Signs and checks unsubscribe tokens.
#[derive(Clone)]
pub struct UnsubscribeLinks {
    key: Vec<u8>,
    public_url: String,
}

impl UnsubscribeLinks {
    pub fn new(key: Vec<u8>, public_url: &str) -> Self {
        Self {
            key,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn token(&self, uid: &UserId, sids: &[SubscriptionId]) -> String {
        let sids: Vec<&str> = sids.iter().map(SubscriptionId::as_str).collect();
        let sids = sids.join("-");
        let mac = URL_SAFE_NO_PAD.encode(self.mac(uid.as_str(), &sids));
        format!("{uid}.{sids}.{mac}")
    }

    pub fn url(&self, uid: &UserId, sids: &[SubscriptionId]) -> String {
        format!("{}/unsubscribe/{}", self.public_url, self.token(uid, sids))
    }

    /// The user and subscriptions of a genuine token; `None` for anything else.
    pub fn check(&self, token: &str) -> Option<Unsubscribe> {
        let mut parts = token.split('.');
        let (uid, sids, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || uid.is_empty() || sids.is_empty() {
            return None;
        }
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let ok: bool = self.mac(uid, sids).ct_eq(given.as_slice()).into();
        if !ok {
            return None;
        }
        // Signed by us, so well-formed; checked all the same.
        let sids = sids.split('-').map(SubscriptionId::parse);
        Some(Unsubscribe {
            uid: UserId::parse(uid).ok()?,
            sids: sids.collect::<Result<_, _>>().ok()?,
        })
    }

    fn mac(&self, uid: &str, sids: &str) -> [u8; 16] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("unsubscribe\n{uid}\n{sids}").as_bytes());
        let full = mac.finalize().into_bytes();
        let mut short = [0u8; 16];
        short.copy_from_slice(&full[..16]);
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(uid: &str, sids: &[&str]) -> (UserId, Vec<SubscriptionId>) {
        let sids = sids.iter().map(|s| SubscriptionId::parse(s).unwrap());
        (UserId::parse(uid).unwrap(), sids.collect())
    }

    fn links() -> UnsubscribeLinks {
        UnsubscribeLinks::new(
            b"0123456789abcdef0123456789abcdef".to_vec(),
            "https://x.test/",
        )
    }

    #[test]
    fn a_token_round_trips_and_names_its_subscriptions() {
        let (uid, sids) = ids("u1", &["s1", "s2"]);
        let url = links().url(&uid, &sids);
        assert!(
            url.starts_with("https://x.test/unsubscribe/u1.s1-s2."),
            "{url}"
        );
        let token = url.rsplit('/').next().unwrap();
        let got = links().check(token).unwrap();
        assert_eq!((got.uid, got.sids), (uid, sids));
    }

    #[test]
    fn altered_or_forged_tokens_are_refused() {
        let (uid, sids) = ids("u1", &["s1"]);
        let token = links().token(&uid, &sids);
        let other_user = token.replacen("u1", "u2", 1);
        let other_sub = token.replacen("s1", "s9", 1);
        let other_key =
            UnsubscribeLinks::new(b"another key".to_vec(), "https://x.test").token(&uid, &sids);
        for bad in [
            other_user,
            other_sub,
            other_key,
            "u1.s1.".into(),
            "junk".into(),
            format!("{token}.x"),
        ] {
            assert_eq!(links().check(&bad), None, "{bad}");
        }
    }
}
