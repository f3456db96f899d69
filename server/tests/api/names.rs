//! Unknown state and district names, through register and subscribe: only
//! names that are actually close come back as suggestions, closest first,
//! and a name like none says so instead of listing unrelated places.

use crate::helpers::{TestApp, error_of, spawn_app, unique_email};
use reqwest::Method;
use serde_json::{Value, json};

/// Registers with `state` and `district`; returns the 422's message and suggestions.
async fn register_unknown(app: &TestApp, state: &str, district: &str) -> (String, String, Value) {
    let body = json!({"email": unique_email(), "state": state, "district": district});
    let r = app.post("/v1/register", &body).await;
    assert_eq!(r.status(), 422, "{state} / {district}");
    let body: Value = r.json().await.unwrap();
    let error = &body["error"];
    let code = error["code"].as_str().unwrap().to_owned();
    let message = error["message"].as_str().unwrap().to_owned();
    (code, message, error["suggestions"].clone())
}

#[tokio::test]
async fn a_misspelt_district_suggests_the_one_meant_and_no_others() {
    let app = spawn_app().await;
    let (code, message, suggestions) = register_unknown(&app, "West Bengal", "kolkatta").await;
    assert_eq!(code, "unknown_district");
    assert_eq!(suggestions, json!(["Kolkata"]));
    assert_eq!(
        message,
        "there is no district named 'kolkatta' in West Bengal; closest matches: Kolkata"
    );
}

#[tokio::test]
async fn a_district_named_like_none_says_so_and_suggests_nothing() {
    let app = spawn_app().await;
    let (code, message, suggestions) = register_unknown(&app, "Bihar", "Gotham").await;
    assert_eq!(code, "unknown_district");
    assert_eq!(message, "no district in Bihar is named like 'Gotham'");
    assert!(suggestions.is_null(), "no suggestions: {suggestions}");
    let (code, message, suggestions) = register_unknown(&app, "Gotham", "Patna").await;
    assert_eq!(code, "unknown_state");
    assert_eq!(message, "no state is named like 'Gotham'");
    assert!(suggestions.is_null(), "no suggestions: {suggestions}");
}

#[tokio::test]
async fn subscribing_to_a_transposed_name_suggests_the_district_meant() {
    let app = spawn_app().await;
    let token = app.signed_up(&unique_email()).await;
    let r = app
        .authed(Method::POST, "/v1/subscriptions", &token)
        .json(&json!({"state": "bihar", "district": "Patan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_district");
    assert_eq!(body["error"]["suggestions"], json!(["Patna"]));
}

#[tokio::test]
async fn a_word_of_several_districts_suggests_them_all_in_order() {
    let app = spawn_app().await;
    let (_, message, suggestions) = register_unknown(&app, "Bihar", "Champaran").await;
    assert_eq!(suggestions, json!(["East Champaran", "West Champaran"]));
    assert!(message.ends_with("closest matches: East Champaran, West Champaran"));
}

#[tokio::test]
async fn a_name_longer_than_any_place_is_not_compared_and_not_echoed_whole() {
    let app = spawn_app().await;
    let long = "Patna".repeat(19);
    let body = json!({"email": unique_email(), "state": "Bihar", "district": long});
    let (code, message) = error_of(app.post("/v1/register", &body).await, 422).await;
    assert_eq!(code, "unknown_district");
    assert!(message.len() < 200, "{message}");
    assert!(message.starts_with("no district in Bihar is named like 'PatnaPatna"));
    // Past the field's cap it is refused before any lookup.
    let body = json!({"email": unique_email(), "state": "Bihar", "district": "Patna".repeat(2000)});
    let (code, message) = error_of(app.post("/v1/register", &body).await, 422).await;
    assert_eq!(code, "field_too_long");
    assert!(message.len() < 200, "{message}");
}
