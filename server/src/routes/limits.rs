//! The limits of sign-up and sign-in, with their numbers in one place
//! (ARCHITECTURE.md, "Threat model", says what each one bounds). A client is
//! an IP address (an IPv6 one by its /64), taken from the forwarding headers
//! only behind `TRUSTED_PROXIES`. Limits on an address are counted per client
//! and in all, and the total is several clients' worth, so no single stranger
//! can use up what the address's owner needs.

use crate::store::Limit;
use redis_hack_shared::EmailAddress;

/// Codes one client may have sent to one address: 1 a minute and 5 an hour.
pub const CODES_PER_CLIENT_MINUTE: u32 = 1;
pub const CODES_PER_CLIENT_HOUR: u32 = 5;
/// Codes one address may be sent per hour from every client together (three
/// clients' worth: one stranger cannot use them up).
pub const CODES_PER_ADDRESS_HOUR: u32 = 15;
/// Attempts one client may make at one code: its sixth wrong one ends the
/// code for that client only.
pub const ATTEMPTS_PER_CLIENT: u32 = 6;
/// Attempts at one code from every client together: the 18th wrong one
/// invalidates it for everyone.
pub const ATTEMPTS_PER_CODE: u32 = 18;

fn limit(scope: &'static str, id: String, max: u32, window_secs: u64) -> Limit {
    Limit {
        scope,
        id,
        client: None,
        max,
        window_secs,
    }
}

/// `RATE_LIMIT_IP_PER_HOUR` register calls per client, counted before any
/// name is looked up (so a failed lookup costs the client too).
pub fn register_client(client: &str, per_hour: u32) -> [Limit; 1] {
    [limit("ip-hour", client.to_owned(), per_hour, 3600)]
}

/// Codes sent to `email`: per client, and in all.
pub fn register_address(email: &EmailAddress, client: &str) -> [Limit; 3] {
    // One client's share of the address: in the address's tag group, so the
    // three are checked and counted in one step.
    let share = |scope, max, window_secs| Limit {
        client: Some(client.to_owned()),
        ..limit(scope, email.to_string(), max, window_secs)
    };
    [
        share("email-ip-min", CODES_PER_CLIENT_MINUTE, 60),
        share("email-ip-hour", CODES_PER_CLIENT_HOUR, 3600),
        limit(
            "email-hour",
            email.to_string(),
            CODES_PER_ADDRESS_HOUR,
            3600,
        ),
    ]
}

/// `VERIFY_LIMIT_IP_PER_HOUR` verify calls per client, whatever the address.
pub fn verify_client(client: &str, per_hour: u32) -> [Limit; 1] {
    [limit("verify-ip-hour", client.to_owned(), per_hour, 3600)]
}
