//! Who a request comes from: CIDR blocks (`TRUSTED_PROXIES`), the client
//! address taken from `X-Forwarded-For` / `Forwarded` only when the peer is a
//! trusted proxy (the rightmost hop that is not one of them), and the id rate
//! limits count under (an IPv4 address, or an IPv6 address's /64, since one
//! subscriber line gets a whole /64).

use std::net::{IpAddr, Ipv6Addr};

/// An address block such as `10.0.0.0/8` or `fd00::/8`; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bad = || format!("'{raw}' is not an address block like 10.0.0.0/8 or fd00::/8");
        let (addr, bits) = match raw.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (raw, None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { net, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.bits),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.bits),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = ((bits / 8) as usize, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket
/// reports) as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request that reached us from `peer` with these forwarding
/// headers (each the comma-joined lines of a repeated header): the peer itself
/// unless it is trusted; otherwise the rightmost forwarded address that is not
/// a trusted proxy (anything to its left could have been written by the
/// client). `X-Forwarded-For` wins over `Forwarded` when both are there: the
/// common proxies append to the former and pass a client's own `Forwarded`
/// through untouched, so reading that one would let a client pick its address.
pub fn client_ip(
    peer: IpAddr,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = match (forwarded, x_forwarded_for) {
        (_, Some(x)) => x.split(',').map(|h| parse_hop(h.trim())).collect(),
        (Some(f), None) => forwarded_for(f),
        (None, None) => return peer,
    };
    for hop in hops.into_iter().rev() {
        match hop {
            // An unparsable hop ends the chain we can trust: the proxy before it wrote it.
            None => return peer,
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return canonical(ip),
        }
    }
    peer
}

/// The `for=` values of a `Forwarded` header (RFC 7239), leftmost first.
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(v.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]`, `[2001:db8::1]:443` or `2001:db8::1`.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse() {
        return Some(ip);
    }
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, _port) = raw.rsplit_once(':')?;
    host.parse().ok()
}

/// The id an address is rate-limited under: IPv4 as it is, IPv6 by its /64.
pub fn limit_id(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|c| Cidr::parse(c).unwrap()).collect()
    }

    #[test]
    fn blocks_contain_what_their_prefix_says() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.1.1")));
        assert!(c.contains(ip("::ffff:10.0.0.1")), "v4-mapped");
        assert!(!c.contains(ip("11.0.0.1")));
        let c = Cidr::parse("172.16.0.0/12").unwrap();
        assert!(c.contains(ip("172.31.255.1")) && !c.contains(ip("172.32.0.1")));
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0/8", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_peer() {
        let trusted = cidrs(&["10.0.0.0/8"]);
        let xff = Some("6.6.6.6, 203.0.113.7");
        assert_eq!(
            client_ip(ip("198.51.100.1"), None, xff, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, xff, &trusted),
            ip("203.0.113.7")
        );
        // A client that prepends a trusted-looking hop still gets its own address.
        let chain = Some("203.0.113.7, 10.0.0.9");
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, chain, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, None, &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, Some("junk"), &trusted),
            ip("10.0.0.2")
        );
        let fwd = Some(r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https"#);
        assert_eq!(
            client_ip(ip("10.0.0.2"), fwd, None, &trusted),
            ip("2001:db8:cafe::17")
        );
        // A client's own Forwarded, passed through by a proxy that appends
        // to X-Forwarded-For, does not choose the address.
        assert_eq!(
            client_ip(ip("10.0.0.2"), fwd, xff, &trusted),
            client_ip(ip("10.0.0.2"), None, xff, &trusted)
        );
        assert_eq!(client_ip(ip("10.0.0.2"), None, xff, &[]), ip("10.0.0.2"));
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(limit_id(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(limit_id(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
        assert_eq!(limit_id(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(limit_id(ip("::ffff:203.0.113.7")), "203.0.113.7");
    }
}
