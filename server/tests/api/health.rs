//! Health check and the JSON answers for paths and methods that do not exist.

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let app = spawn_app().await;
    let (code, _) = error_of(app.get("/v1/nothing-here").await, 404).await;
    assert_eq!(code, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let r = app.http.put(app.url("/v1/register")).send().await.unwrap();
    let (code, _) = error_of(r, 405).await;
    assert_eq!(code, "method_not_allowed");
}
