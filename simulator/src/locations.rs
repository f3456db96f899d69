//! `/admin/location/states` and `/admin/location/districts/{state_id}` in the
//! shapes the real API used (`{"states": [...], "ttl": 24}`), built once from
//! the embedded snapshot, with validators and 304s.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

const SNAPSHOT: &str = include_str!("../../data/cowin-locations.json");

#[derive(Deserialize)]
struct Snapshot {
    states: Vec<StateEntry>,
}

#[derive(Deserialize)]
struct StateEntry {
    state_id: u32,
    state_name: String,
    districts: Vec<serde_json::Value>,
}

/// Pre-rendered bodies: the states list and each state's district list.
struct Bodies {
    states: String,
    districts: HashMap<u32, String>,
    empty_districts: String,
    /// Whole seconds, as HTTP dates carry.
    started: SystemTime,
}

static BODIES: LazyLock<Bodies> = LazyLock::new(|| {
    let snapshot: Snapshot =
        serde_json::from_str(SNAPSHOT).expect("the embedded snapshot is valid JSON");
    let states: Vec<_> = snapshot
        .states
        .iter()
        .map(|s| json!({"state_id": s.state_id, "state_name": s.state_name}))
        .collect();
    let districts = snapshot
        .states
        .iter()
        .map(|s| {
            (
                s.state_id,
                json!({"districts": s.districts, "ttl": 24}).to_string(),
            )
        })
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Bodies {
        states: json!({"states": states, "ttl": 24}).to_string(),
        districts,
        empty_districts: json!({"districts": [], "ttl": 24}).to_string(),
        started: UNIX_EPOCH + std::time::Duration::from_secs(now),
    }
});

pub fn router() -> Router {
    Router::new()
        .route("/admin/location/states", get(states))
        .route("/admin/location/districts/{state_id}", get(districts))
}

async fn states(headers: HeaderMap) -> Response {
    cached_json(&headers, &BODIES.states)
}

async fn districts(Path(state_id): Path<String>, headers: HeaderMap) -> Response {
    let Ok(id) = state_id.parse::<u32>() else {
        let body = json!({"errorCode": "USRRES0001", "error": "Input parameter missing"});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    };
    let body = BODIES.districts.get(&id).unwrap_or(&BODIES.empty_districts);
    cached_json(&headers, body)
}

/// The body with a strong ETag and Last-Modified, or 304 when the client has it.
fn cached_json(request: &HeaderMap, body: &str) -> Response {
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..16]
    );
    let modified = BODIES.started;
    let fresh = match request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| modified <= since),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_owned(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    let date = httpdate::fmt_http_date(modified);
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&date).expect("an HTTP date is a valid header"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        crate::router()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn json_of(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn states_are_the_37_real_ones() {
        let body = json_of(get("/api/v2/admin/location/states", &[]).await).await;
        assert_eq!(body["states"].as_array().unwrap().len(), 37);
        assert_eq!(body["ttl"], 24);
    }

    #[tokio::test]
    async fn all_756_districts_are_served_by_state() {
        let states = json_of(get("/api/v2/admin/location/states", &[]).await).await;
        let mut total = 0;
        for s in states["states"].as_array().unwrap() {
            let path = format!("/api/v2/admin/location/districts/{}", s["state_id"]);
            total += json_of(get(&path, &[]).await).await["districts"]
                .as_array()
                .unwrap()
                .len();
        }
        assert_eq!(total, 756);
    }

    #[tokio::test]
    async fn unknown_and_malformed_state_ids_answer_like_cowin() {
        let body = json_of(get("/api/v2/admin/location/districts/999", &[]).await).await;
        assert!(body["districts"].as_array().unwrap().is_empty());
        let r = get("/api/v2/admin/location/districts/abc", &[]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_matching_etag_gets_a_bodiless_304() {
        let r = get("/api/v2/admin/location/states", &[]).await;
        let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
        let r = get("/api/v2/admin/location/states", &[("if-none-match", &etag)]).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let bytes = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        assert!(bytes.is_empty());
    }
}
