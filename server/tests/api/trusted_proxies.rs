//! Behind a reverse proxy: the client address comes from `X-Forwarded-For`
//! or `Forwarded` only when the peer is in `TRUSTED_PROXIES`; otherwise such
//! headers are ignored (anyone can send them). IPv6 clients share a budget
//! per /64.

use crate::helpers::{TestApp, error_of, spawn_app_with, unique_email};
use serde_json::json;

async fn register_with(app: &TestApp, header: (&str, &str)) -> reqwest::Response {
    app.http
        .post(app.url("/v1/register"))
        .header(header.0, header.1)
        .json(&json!({"email": unique_email()}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let one_per_ip = ("RATE_LIMIT_IP_PER_HOUR", "1");
    let direct = spawn_app_with(&[one_per_ip]).await;
    let xff = |ip| ("x-forwarded-for", ip);
    assert_eq!(
        register_with(&direct, xff("203.0.113.1")).await.status(),
        202
    );
    let r = register_with(&direct, xff("203.0.113.2")).await;
    assert_eq!(
        error_of(r, 429).await.0,
        "rate_limited",
        "a spoofed header is ignored"
    );

    let proxied = spawn_app_with(&[one_per_ip, ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]).await;
    assert_eq!(
        register_with(&proxied, xff("203.0.113.1")).await.status(),
        202
    );
    assert_eq!(
        register_with(&proxied, xff("203.0.113.2")).await.status(),
        202
    );
    let forwarded = ("forwarded", r#"for="[2001:db8:7:1::5]:4711";proto=https"#);
    assert_eq!(register_with(&proxied, forwarded).await.status(), 202);
    let same_64 = ("forwarded", r#"for="[2001:db8:7:1:ffff::9]""#);
    let r = register_with(&proxied, same_64).await;
    assert_eq!(
        error_of(r, 429).await.0,
        "rate_limited",
        "one budget per /64"
    );
    // A client cannot pass itself off as the proxy's next hop: the rightmost untrusted one counts.
    let chained = xff("203.0.113.9, 203.0.113.1");
    let r = register_with(&proxied, chained).await;
    assert_eq!(error_of(r, 429).await.0, "rate_limited");
}
