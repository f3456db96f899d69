//! The SSRF guard: a webhook URL may only be http(s), and a delivery may only
//! go to addresses on the public internet. The host is resolved at delivery
//! time and every resolved address is checked, so a DNS name cannot point a
//! delivery at the server's own network. `WEBHOOK_ALLOW_PRIVATE=true` (tests,
//! dev) lifts the address check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a webhook URL or address is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("a webhook URL must start with http:// or https://")]
    Scheme,
    #[error("the webhook URL has no host")]
    NoHost,
    #[error("{0} is not a public address (loopback, private, link-local, multicast or reserved)")]
    NotPublic(IpAddr),
}

/// Checks the shape of a webhook URL (not its addresses).
pub fn check_url(url: &str) -> Result<(), GuardError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(GuardError::Scheme)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(GuardError::NoHost);
    }
    Ok(())
}

/// Refuses `ip` unless it is a public unicast address (or `allow_private`).
pub fn check_address(ip: IpAddr, allow_private: bool) -> Result<(), GuardError> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(GuardError::NotPublic(ip))
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0                              // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0)       // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b))  // benchmarking
        || a >= 240) // reserved
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let first = s[0];
    // Addresses that reach an IPv4 host are judged by that host's address.
    if let Some(v4) = embedded_v4(ip) {
        return public_v4(v4);
    }
    !(ip.is_unspecified()
        || (first == 0x0064 && s[1] == 0xff9b) // local-use NAT64 (64:ff9b:1::/48)
        || (first == 0x2001 && s[1] == 0) // Teredo: a tunnel to a hidden IPv4 host
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || ip.to_ipv4().is_some_and(|v4| !public_v4(v4))) // IPv4-compatible
}

/// The IPv4 address inside a NAT64 (`64:ff9b::/96`, RFC 6052) or 6to4
/// (`2002::/16`, RFC 3056) address: a gateway delivers to that host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    match s {
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_and_reserved_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2002:a00:1::",
            "64:ff9b:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
            assert_eq!(
                check_address(ip(s), false),
                Err(GuardError::NotPublic(ip(s)))
            );
            assert_eq!(
                check_address(ip(s), true),
                Ok(()),
                "WEBHOOK_ALLOW_PRIVATE lifts it"
            );
        }
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "203.0.114.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(s)), "{s} is public");
        }
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_accepted() {
        assert_eq!(check_url("https://hooks.example.com/x?y=1"), Ok(()));
        assert_eq!(check_url("http://user:pw@example.com:8080"), Ok(()));
        for (bad, why) in [
            ("ftp://example.com", GuardError::Scheme),
            ("file:///etc/passwd", GuardError::Scheme),
            ("gopher://x", GuardError::Scheme),
            ("https://", GuardError::NoHost),
            ("http://:80/", GuardError::NoHost),
        ] {
            assert_eq!(check_url(bad), Err(why), "{bad}");
        }
    }
}
