//! `OPERATOR_KEY`: `/v1/status` and `/metrics` answer only requests that
//! show it (scheme `Bearer` in any case), `/healthz` and `/readyz` stay open.
//! Also: a path that is not UTF-8 gets the JSON error body.

use crate::helpers::{error_of, spawn_app, spawn_app_with, unique_email};

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
