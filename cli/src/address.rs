//! The server's address as people type it: `localhost:8080` means
//! `http://localhost:8080` (plain http only for loopback names, https for
//! everything else), and one server has one sign-in however it is spelled
//! (`localhost` and `127.0.0.1`, a trailing slash, upper-case letters).

use reqwest::Url;
use url::Host;

/// The server when neither `--server` nor `REDIS_HACK_SERVER` names one.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// `--server`'s value parser: a URL with its scheme, without a trailing
/// slash. Empty means the default (`export REDIS_HACK_SERVER=` unsets it).
pub fn parse_server(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_SERVER.to_owned());
    }
    let url = if raw.contains("://") {
        Url::parse(raw).map_err(|e| format!("'{raw}' is not a URL ({e})"))?
    } else {
        let guess = Url::parse(&format!("http://{raw}"))
            .map_err(|e| format!("'{raw}' is not a server address ({e})"))?;
        let scheme = if is_loopback(&guess) { "http" } else { "https" };
        Url::parse(&format!("{scheme}://{raw}"))
            .map_err(|e| format!("'{raw}' is not a server address ({e})"))?
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the server must be an http:// or https:// address, not '{raw}'"
        ));
    }
    if url.host().is_none() {
        return Err(format!("'{raw}' names no host"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The key a sign-in is saved under: the same for every spelling of one
/// server (`localhost` becomes `127.0.0.1`).
pub fn sign_in_key(server: &str) -> String {
    let Ok(mut url) = parse_server(server).and_then(|s| Url::parse(&s).map_err(|e| e.to_string()))
    else {
        return server.trim_end_matches('/').to_owned();
    };
    if matches!(url.host(), Some(Host::Domain(d)) if is_localhost(d)) {
        // Cannot fail: an IPv4 address is a valid host for http(s).
        let _ = url.set_host(Some("127.0.0.1"));
    }
    url.as_str().trim_end_matches('/').to_owned()
}

/// Whether two spellings name the same server.
pub fn same_server(a: &str, b: &str) -> bool {
    sign_in_key(a) == sign_in_key(b)
}

fn is_localhost(domain: &str) -> bool {
    let d = domain.trim_end_matches('.');
    d == "localhost" || d.ends_with(".localhost")
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => is_localhost(d),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_scheme_is_http_for_loopback_names_and_https_otherwise() {
        for (typed, meant) in [
            ("localhost:8080", "http://localhost:8080"),
            ("127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("127.1.2.3:9000", "http://127.1.2.3:9000"),
            ("[::1]:8080", "http://[::1]:8080"),
            ("alerts.example.com", "https://alerts.example.com"),
            ("alerts.example.com/api", "https://alerts.example.com/api"),
            ("10.0.0.5:8080", "https://10.0.0.5:8080"),
            ("http://alerts.example.com", "http://alerts.example.com"),
            (
                " HTTPS://Alerts.Example.com/ ",
                "https://alerts.example.com",
            ),
        ] {
            assert_eq!(parse_server(typed).as_deref(), Ok(meant), "{typed}");
        }
    }

    #[test]
    fn other_schemes_are_refused_and_an_empty_address_is_the_default() {
        assert!(
            parse_server("ftp://example.com")
                .unwrap_err()
                .contains("http://")
        );
        assert_eq!(parse_server("  ").as_deref(), Ok(DEFAULT_SERVER));
        assert!(parse_server("http://").is_err());
    }

    #[test]
    fn localhost_and_127_0_0_1_are_one_sign_in() {
        assert!(same_server("localhost:8080", "http://127.0.0.1:8080/"));
        assert!(same_server("http://LOCALHOST:8080", "127.0.0.1:8080"));
        assert!(!same_server("localhost:8080", "localhost:8081"));
        assert!(!same_server(
            "http://127.0.0.1:8080",
            "https://127.0.0.1:8080"
        ));
        assert_eq!(sign_in_key("localhost:8080"), "http://127.0.0.1:8080");
    }
}
