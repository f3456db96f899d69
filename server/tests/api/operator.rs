//! `OPERATOR_KEY`: `/v1/status` and `/metrics` answer only requests that
//! show it (scheme `Bearer` in any case), `/healthz` and `/readyz` stay open.
//! Also: a path that is not UTF-8 gets the JSON error body, and a failed
//! poll's status names no configured URL.

use crate::helpers::{
    district, env_or_explain, error_of, spawn_app, spawn_app_with, subscriber, unique_email,
};
use redis_hack_server::alerts::detect::Rules;
use redis_hack_server::poller::schedule::Budget;
use redis_hack_server::poller::{PollConfig, Poller};
use redis_hack_server::store::Store;
use redis_hack_server::upstream::CowinClient;
use serde_json::Value;
use std::time::Duration;

const KEY: &str = "operator-key-for-tests-0001";

#[tokio::test]
async fn status_and_metrics_need_the_operator_key_when_one_is_set() {
    let app = spawn_app_with(&[("OPERATOR_KEY", KEY)]).await;
    for path in ["/v1/status", "/metrics"] {
        let r = app.get(path).await;
        assert_eq!(error_of(r, 401).await.0, "missing_operator_key", "{path}");
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth("not-the-key")
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r, 401).await.0, "invalid_operator_key", "{path}");
        let r = app
            .http
            .get(app.url(path))
            .header("authorization", format!("bearer {KEY}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    for open in ["/healthz", "/readyz"] {
        assert_eq!(app.get(open).await.status(), 200, "{open}");
    }
    let public = spawn_app().await;
    assert_eq!(
        public.get("/v1/status").await.status(),
        200,
        "no key set: open"
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_bad_paths_get_the_json_error() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r = app
            .http
            .get(app.url("/v1/subscriptions"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{scheme}");
    }
    let r = app
        .authed(reqwest::Method::DELETE, "/v1/subscriptions/%ff", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r, 400).await.0, "invalid_path");
    let r = app.get("/v1/states/%ff/districts").await;
    assert_eq!(error_of(r, 400).await.0, "invalid_path");
}

#[tokio::test]
async fn a_failed_poll_is_reported_without_the_configured_upstream_url() {
    let app = spawn_app().await;
    let store = Store::connect(&env_or_explain("TEST_REDIS_URL"), &app.prefix)
        .await
        .unwrap();
    subscriber(&store, &unique_email(), district(97)).await;
    // Nothing listens on port 9: every poll fails to connect.
    let upstream = "http://127.0.0.1:9/internal-upstream-path/api/v2";
    let poller = Poller {
        store,
        client: CowinClient::new(upstream).unwrap(),
        config: PollConfig {
            budget: Budget {
                calls: 100,
                window: Duration::from_secs(300),
            },
            min_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(1800),
            rules: Rules {
                margin: 2,
                realert: Duration::from_secs(600),
            },
            followup_window: redis_hack_server::poller::FOLLOWUP_WINDOW,
        },
        id: "p1".into(),
    };
    poller
        .poll_once(redis_hack_server::store::now_ms())
        .await
        .unwrap();
    let status: Value = app.get("/v1/status").await.json().await.unwrap();
    let last = status["targets"][0]["last_status"]
        .as_str()
        .unwrap_or_default();
    assert!(last.contains("could not be reached"), "{status}");
    assert!(
        !last.contains("internal-upstream-path") && !last.contains("127.0.0.1"),
        "{last}"
    );
}
