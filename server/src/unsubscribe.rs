//! One-click unsubscribe links (RFC 8058). A link names a user and the
//! subscriptions one alert email was about, each with its creation time, and
//! the time it was issued, and carries an HMAC over all of it, so it works
//! without logging in and cannot be forged or altered:
//! `{PUBLIC_URL}/unsubscribe/{uid}.{sid}_{created}-{sid}_{created}.{issued}.{mac}`
//! (`created` in ms, `issued` in s, `mac` the first 16 bytes of HMAC-SHA256
//! under a key kept in Redis, base64url). A link works for
//! `UNSUBSCRIBE_LINK_TTL` after it was issued, and only on the subscriptions
//! it names as they were then: one created again later (same id, since ids
//! are a digest of target and filters) has another creation time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use redis_hack_shared::{Subscription, SubscriptionId, Timestamp, UserId};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// How long a link works unless `UNSUBSCRIBE_LINK_TTL` says otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 86_400);

/// What a valid token unsubscribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub uid: UserId,
    /// The subscriptions, each with its creation time (ms) when the link was issued.
    pub subs: Vec<(SubscriptionId, u64)>,
}

impl Unsubscribe {
    /// Whether `sub` is one the link names, and not one created again since.
    pub fn covers(&self, sub: &Subscription) -> bool {
        self.subs
            .iter()
            .any(|(id, created)| *id == sub.id && *created == sub.created_at.as_ms())
    }
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Cut short, altered, forged, or from before links carried their time.
    Invalid,
    /// Genuine, but issued longer than the links' lifetime ago.
    Expired,
}

/// Signs and checks unsubscribe tokens.
#[derive(Clone)]
pub struct UnsubscribeLinks {
    key: Vec<u8>,
    public_url: String,
    ttl: Duration,
}

impl UnsubscribeLinks {
    pub fn new(key: Vec<u8>, public_url: &str) -> Self {
        Self {
            key,
            public_url: public_url.trim_end_matches('/').to_owned(),
            ttl: DEFAULT_TTL,
        }
    }

    /// The same signer, with links that work for `ttl`.
    pub fn with_ttl(self, ttl: Duration) -> Self {
        Self { ttl, ..self }
    }

    /// A token for `subs` of `uid`, issued now.
    pub fn token(&self, uid: &UserId, subs: &[(SubscriptionId, Timestamp)]) -> String {
        self.token_at(uid, subs, now_s())
    }

    fn token_at(&self, uid: &UserId, subs: &[(SubscriptionId, Timestamp)], issued: u64) -> String {
        let subs: Vec<String> = subs
            .iter()
            .map(|(id, created)| format!("{id}_{}", created.as_ms()))
            .collect();
        let subs = subs.join("-");
        let issued = issued.to_string();
        let mac = URL_SAFE_NO_PAD.encode(self.mac(uid.as_str(), &subs, &issued));
        format!("{uid}.{subs}.{issued}.{mac}")
    }

    pub fn url(&self, uid: &UserId, subs: &[(SubscriptionId, Timestamp)]) -> String {
        format!("{}/unsubscribe/{}", self.public_url, self.token(uid, subs))
    }

    /// The user and subscriptions of a genuine, unexpired token.
    pub fn check(&self, token: &str) -> Result<Unsubscribe, LinkError> {
        self.check_at(token, now_s())
    }

    fn check_at(&self, token: &str, now: u64) -> Result<Unsubscribe, LinkError> {
        let invalid = |_: redis_hack_shared::IdError| LinkError::Invalid;
        let mut parts = token.split('.');
        let mut next = || parts.next().ok_or(LinkError::Invalid);
        let (uid, subs, issued, mac) = (next()?, next()?, next()?, next()?);
        if parts.next().is_some() || uid.is_empty() || subs.is_empty() {
            return Err(LinkError::Invalid);
        }
        let given = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| LinkError::Invalid)?;
        let ok: bool = self.mac(uid, subs, issued).ct_eq(given.as_slice()).into();
        if !ok {
            return Err(LinkError::Invalid);
        }
        let issued: u64 = issued.parse().map_err(|_| LinkError::Invalid)?;
        if now.saturating_sub(issued) > self.ttl.as_secs() {
            return Err(LinkError::Expired);
        }
        // Signed by us, so well-formed; checked all the same.
        let subs = subs
            .split('-')
            .map(|s| {
                let (id, created) = s.split_once('_').ok_or(LinkError::Invalid)?;
                let id = SubscriptionId::parse(id).map_err(invalid)?;
                Ok((id, created.parse().map_err(|_| LinkError::Invalid)?))
            })
            .collect::<Result<_, LinkError>>()?;
        Ok(Unsubscribe {
            uid: UserId::parse(uid).map_err(invalid)?,
            subs,
        })
    }

    fn mac(&self, uid: &str, subs: &str, issued: &str) -> [u8; 16] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("unsubscribe/2\n{uid}\n{subs}\n{issued}").as_bytes());
        let full = mac.finalize().into_bytes();
        let mut short = [0u8; 16];
        short.copy_from_slice(&full[..16]);
        short
    }
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(uid: &str, sids: &[&str]) -> (UserId, Vec<(SubscriptionId, Timestamp)>) {
        let subs = sids.iter().enumerate().map(|(i, s)| {
            let created = Timestamp::from_ms(1_700_000_000_000 + i as u64);
            (SubscriptionId::parse(s).unwrap(), created)
        });
        (UserId::parse(uid).unwrap(), subs.collect())
    }

    fn links() -> UnsubscribeLinks {
        UnsubscribeLinks::new(
            b"0123456789abcdef0123456789abcdef".to_vec(),
            "https://x.test/",
        )
    }

    #[test]
    fn a_token_round_trips_and_names_its_subscriptions_as_they_were() {
        let (uid, subs) = ids("u1", &["s1", "s2"]);
        let url = links().url(&uid, &subs);
        assert!(
            url.starts_with("https://x.test/unsubscribe/u1.s1_1700000000000-s2_1700000000001."),
            "{url}"
        );
        let token = url.rsplit('/').next().unwrap();
        let got = links().check(token).unwrap();
        assert_eq!(got.uid, uid);
        let want: Vec<_> = subs.iter().map(|(id, c)| (id.clone(), c.as_ms())).collect();
        assert_eq!(got.subs, want);
    }

    #[test]
    fn a_token_expires_after_its_lifetime() {
        let (uid, subs) = ids("u1", &["s1"]);
        let links = links().with_ttl(Duration::from_secs(100));
        let token = links.token_at(&uid, &subs, 1_000);
        assert!(links.check_at(&token, 1_100).is_ok());
        assert_eq!(links.check_at(&token, 1_101), Err(LinkError::Expired));
        let moved = token.replacen(".1000.", ".5000.", 1);
        assert_eq!(
            links.check_at(&moved, 1_101),
            Err(LinkError::Invalid),
            "the time is signed"
        );
    }

    #[test]
    fn altered_or_forged_tokens_are_refused() {
        let (uid, subs) = ids("u1", &["s1"]);
        let token = links().token(&uid, &subs);
        let other_user = token.replacen("u1", "u2", 1);
        let other_sub = token.replacen("s1", "s9", 1);
        let recreated = token.replacen("_1700000000000", "_1800000000000", 1);
        let other_key =
            UnsubscribeLinks::new(b"another key".to_vec(), "https://x.test").token(&uid, &subs);
        for bad in [
            other_user,
            other_sub,
            recreated,
            other_key,
            "u1.s1.".into(),
            "u1.s1.AAAAAAAAAAAAAAAAAAAAAA".into(),
            "junk".into(),
            format!("{token}.x"),
        ] {
            assert_eq!(links().check(&bad), Err(LinkError::Invalid), "{bad}");
        }
    }
}
