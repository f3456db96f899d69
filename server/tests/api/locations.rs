//! `GET /v1/states` and districts: real CoWIN data through the simulator,
//! cached in Redis, with ETag / Last-Modified and 304s.

use crate::helpers::{error_of, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn states_list_all_37_states_and_come_from_the_cache_the_second_time() {
    let app = spawn_app().await;
    let r = app.get("/v1/states").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let states = body["states"].as_array().unwrap();
    assert_eq!(states.len(), 37);
    assert!(states.iter().any(|s| s["state_name"] == "Bihar"));
    let upstream_calls = app.sim.request_count();
    assert_eq!(app.get("/v1/states").await.status(), 200);
    assert_eq!(
        app.sim.request_count(),
        upstream_calls,
        "the second read must not reach upstream"
    );
}

#[tokio::test]
async fn states_answer_304_to_a_matching_etag_or_date() {
    let app = spawn_app().await;
    let r = app.get("/v1/states").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    let r = app
        .http
        .get(app.url("/v1/states"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    assert!(r.text().await.unwrap().is_empty());
    let r = app
        .http
        .get(app.url("/v1/states"))
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app
        .http
        .get(app.url("/v1/states"))
        .header("If-None-Match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn districts_of_bihar_include_patna() {
    let app = spawn_app().await;
    let states: Value = app.get("/v1/states").await.json().await.unwrap();
    let bihar = states["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state_name"] == "Bihar")
        .unwrap();
    let r = app
        .get(&format!("/v1/states/{}/districts", bihar["state_id"]))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    let body: Value = r.json().await.unwrap();
    assert!(
        body["districts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["district_name"] == "Patna")
    );
}

#[tokio::test]
async fn districts_of_an_unknown_or_malformed_state_id_are_clear_errors() {
    let app = spawn_app().await;
    let (code, message) = error_of(app.get("/v1/states/9999/districts").await, 404).await;
    assert_eq!(code, "not_found");
    assert!(message.contains("9999"), "{message}");
    let (code, _) = error_of(app.get("/v1/states/bihar/districts").await, 400).await;
    assert_eq!(code, "invalid_state_id");
}

#[tokio::test]
async fn states_and_districts_are_listed_by_name() {
    let app = spawn_app().await;
    let names = |body: &Value, list: &str, field: &str| -> Vec<String> {
        let items = body[list].as_array().unwrap().iter();
        items
            .map(|i| i[field].as_str().unwrap().to_owned())
            .collect()
    };
    let states: Value = app.get("/v1/states").await.json().await.unwrap();
    let state_names = names(&states, "states", "state_name");
    assert!(
        state_names.is_sorted_by_key(|n| n.to_lowercase()),
        "{state_names:?}"
    );
    let bihar = states["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state_name"] == "Bihar")
        .unwrap();
    let path = format!("/v1/states/{}/districts", bihar["state_id"]);
    let districts: Value = app.get(&path).await.json().await.unwrap();
    let district_names = names(&districts, "districts", "district_name");
    assert!(district_names.len() > 30);
    assert!(
        district_names.is_sorted_by_key(|n| n.to_lowercase()),
        "{district_names:?}"
    );
    assert_eq!(district_names[0], "Araria");
}
