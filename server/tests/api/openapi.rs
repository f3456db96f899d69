//! `GET /openapi.json`: the document lists every endpoint the server serves,
//! with its authentication and its error answers (schemathesis, in the test
//! command, then checks the server against it request by request).

use crate::helpers::spawn_app_with;
use crate::webhooks::PUBLISHER_KEY;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ENDPOINTS: [(&str, &str); 19] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/unsubscribe/{token}"),
    ("post", "/unsubscribe/{token}"),
    ("get", "/v1/states"),
    ("get", "/v1/states/{state_id}/districts"),
    ("post", "/v1/register"),
    ("post", "/v1/verify"),
    ("delete", "/v1/session"),
    ("get", "/v1/subscriptions"),
    ("post", "/v1/subscriptions"),
    ("delete", "/v1/subscriptions/{id}"),
    ("post", "/v1/subscriptions/{id}/rearm"),
    ("get", "/v1/slots"),
    ("get", "/v1/status"),
    ("post", "/v1/topics/{topic}/openings"),
    ("get", "/v1/events"),
];

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

#[tokio::test]
async fn the_document_lists_every_endpoint_with_its_auth_and_errors() {
    let app = spawn_app_with(&[]).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    let served: BTreeSet<(String, String)> =
        ops.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    let expected: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(served, expected);
    for (method, path, op) in &ops {
        let responses = op["responses"].as_object().unwrap();
        let schemes: Vec<&str> = op["security"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s.as_object().unwrap().keys().map(String::as_str))
            .collect();
        if !schemes.is_empty() {
            assert!(
                responses.contains_key("401"),
                "{method} {path} needs {schemes:?} but documents no 401"
            );
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} takes a JSON body but documents no {status}"
                );
            }
        }
    }
    let auth = |m: &str, p: &str| -> Value {
        let (_, _, op) = ops.iter().find(|(om, op, _)| om == m && op == p).unwrap();
        op["security"].clone()
    };
    assert_eq!(
        auth("get", "/v1/subscriptions"),
        json!([{"user_token": []}])
    );
    assert_eq!(
        auth("post", "/v1/topics/{topic}/openings"),
        json!([{"publisher_key": []}])
    );
    assert_eq!(auth("get", "/v1/events"), json!([{"user_token": []}]));
    let feed = &doc["paths"]["/v1/events"]["get"];
    assert!(
        feed["responses"]["200"]["content"]["text/event-stream"].is_object()
            && feed["parameters"][0]["name"] == "Last-Event-ID",
        "the live feed is documented as an event stream resumed with Last-Event-ID: {feed}"
    );
    assert!(
        doc["components"]["securitySchemes"]["user_token"]["scheme"] == "bearer",
        "{}",
        doc["components"]["securitySchemes"]
    );
}

#[tokio::test]
async fn a_publisher_without_a_key_is_refused_before_the_body_is_read() {
    let app = spawn_app_with(&[("PUBLISHER_KEYS", PUBLISHER_KEY)]).await;
    // An invalid opening without a key: the key is checked first, so the
    // caller learns nothing about what the body should be.
    let r = app
        .post("/v1/topics/cs101/openings", &json!({"id": "", "title": ""}))
        .await;
    assert_eq!(r.status(), 401, "{}", r.text().await.unwrap());
}

/// The responses `method path` documents.
fn documented(doc: &Value, method: &str, path: &str) -> BTreeSet<String> {
    let responses = doc["paths"][path][method]["responses"].as_object();
    responses.expect("responses").keys().cloned().collect()
}

#[tokio::test]
async fn an_unknown_district_id_is_answered_as_the_document_says() {
    let app = spawn_app_with(&[]).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let unknown = json!({"email": crate::helpers::unique_email(), "district_id": 999_999});
    let status = app.post("/v1/register", &unknown).await.status();
    let token = app.signed_up(&crate::helpers::unique_email()).await;
    let subscribed = app
        .authed(reqwest::Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"district_id": 999_999}))
        .send()
        .await
        .unwrap()
        .status();
    for (path, got) in [("/v1/register", status), ("/v1/subscriptions", subscribed)] {
        assert_eq!(got, 422, "{path}");
        let answers = documented(&doc, "post", path);
        assert!(answers.contains("422"), "{path} documents {answers:?}");
        assert!(
            !answers.contains("404"),
            "{path} documents a 404 it never answers: {answers:?}"
        );
    }
}
