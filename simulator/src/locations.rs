//! `/admin/location/states` and `/admin/location/districts/{state_id}`, in the
//! shapes the real API used (`{"states": [...], "ttl": 24}`), from the real
//! data snapshot embedded at build time so the binary stands alone.

use crate::SimState;
use crate::conditional::json_response;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::LazyLock;

/// `data/cowin-locations.json`: 37 states and 756 districts as CoWIN served them.
const SNAPSHOT: &str = include_str!("../../data/cowin-locations.json");

/// The hours CoWIN told clients they may cache location lists for.
const TTL_HOURS: u32 = 24;

#[derive(Deserialize)]
struct Snapshot {
    states: Vec<SnapshotState>,
}

#[derive(Deserialize)]
struct SnapshotState {
    state_id: u32,
    state_name: String,
    districts: Vec<District>,
}

#[derive(Serialize)]
struct StateSummary<'a> {
    state_id: u32,
    state_name: &'a str,
}

#[derive(Deserialize, Serialize)]
struct District {
    district_id: u32,
    district_name: String,
}

/// Bodies rendered once: they never change, and so neither do their ETags.
struct Bodies {
    states: String,
    districts: HashMap<u32, String>,
    no_districts: String,
}

static BODIES: LazyLock<Bodies> = LazyLock::new(|| {
    // The snapshot is compiled in and covered by the tests below, so a parse
    // failure is a build defect, not a runtime condition.
    let snapshot: Snapshot = serde_json::from_str(SNAPSHOT).expect(
        "data/cowin-locations.json has the {states:[{state_id,state_name,districts}]} shape",
    );
    let states: Vec<_> = snapshot
        .states
        .iter()
        .map(|s| StateSummary {
            state_id: s.state_id,
            state_name: &s.state_name,
        })
        .collect();
    let districts = snapshot
        .states
        .iter()
        .map(|s| {
            let body = json!({"districts": s.districts, "ttl": TTL_HOURS});
            (s.state_id, body.to_string())
        })
        .collect();
    Bodies {
        states: json!({"states": states, "ttl": TTL_HOURS}).to_string(),
        districts,
        no_districts: json!({"districts": [], "ttl": TTL_HOURS}).to_string(),
    }
});

/// The location routes, relative to the API root (`/api/v2`).
pub fn router() -> Router<SimState> {
    Router::new()
        .route("/admin/location/states", get(states))
        .route("/admin/location/districts/{state_id}", get(districts))
}

async fn states(State(sim): State<SimState>, headers: HeaderMap) -> Response {
    json_response(&headers, &BODIES.states, sim.started)
}

/// An unknown id gets an empty list and a non-numeric one a 400, as CoWIN did.
async fn districts(
    State(sim): State<SimState>,
    Path(state_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = state_id.parse::<u32>() else {
        let body = json!({"errorCode": "USRRES0001", "error": "Input parameter missing"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    let body = BODIES.districts.get(&id).unwrap_or(&BODIES.no_districts);
    json_response(&headers, body, sim.started)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::response::Response;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> Response {
        get_from(crate::router(), path, headers).await
    }

    /// Each `crate::router()` is a simulator started now (its Last-Modified),
    /// so requests that compare validators must go to one of them.
    async fn get_from(
        app: axum::Router,
        path: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(k, *v);
        }
        app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap()
    }

    async fn json_of(r: Response) -> Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn states_are_the_37_real_ones_in_cowin_shape() {
        let r = get("/api/v2/admin/location/states", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let body = json_of(r).await;
        assert_eq!(body["ttl"], 24);
        let states = body["states"].as_array().unwrap();
        assert_eq!(states.len(), 37);
        assert_eq!(
            states[0],
            json!({"state_id": 1, "state_name": "Andaman and Nicobar Islands"})
        );
    }

    #[tokio::test]
    async fn all_756_districts_are_served_under_their_states() {
        let states = json_of(get("/api/v2/admin/location/states", &[]).await).await;
        let mut total = 0;
        for s in states["states"].as_array().unwrap() {
            let path = format!("/api/v2/admin/location/districts/{}", s["state_id"]);
            let body = json_of(get(&path, &[]).await).await;
            assert_eq!(body["ttl"], 24);
            total += body["districts"].as_array().unwrap().len();
        }
        assert_eq!(total, 756);
    }

    #[tokio::test]
    async fn bihar_has_patna_with_its_real_id() {
        let body = json_of(get("/api/v2/admin/location/districts/5", &[]).await).await;
        let patna = json!({"district_id": 97, "district_name": "Patna"});
        assert!(body["districts"].as_array().unwrap().contains(&patna));
    }

    #[tokio::test]
    async fn an_unknown_state_id_gets_an_empty_list() {
        let r = get("/api/v2/admin/location/districts/999", &[]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(json_of(r).await, json!({"districts": [], "ttl": 24}));
    }

    #[tokio::test]
    async fn a_non_numeric_state_id_gets_cowins_400() {
        let r = get("/api/v2/admin/location/districts/abc", &[]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let expected = json!({"errorCode": "USRRES0001", "error": "Input parameter missing"});
        assert_eq!(json_of(r).await, expected);
    }

    #[tokio::test]
    async fn the_validators_sent_back_get_bodiless_304s() {
        let app = crate::router();
        let r = get_from(app.clone(), "/api/v2/admin/location/districts/5", &[]).await;
        let etag = r.headers()[header::ETAG].to_str().unwrap().to_owned();
        let date = r.headers()[header::LAST_MODIFIED]
            .to_str()
            .unwrap()
            .to_owned();
        for validator in [
            (header::IF_NONE_MATCH, etag.as_str()),
            (header::IF_MODIFIED_SINCE, date.as_str()),
        ] {
            let r = get_from(
                app.clone(),
                "/api/v2/admin/location/districts/5",
                &[validator],
            )
            .await;
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
            assert_eq!(r.headers()[header::ETAG].to_str().unwrap(), etag);
            let bytes = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
            assert!(bytes.is_empty());
        }
    }

    #[tokio::test]
    async fn different_lists_have_different_etags() {
        let a = get("/api/v2/admin/location/districts/5", &[]).await;
        let b = get("/api/v2/admin/location/districts/6", &[]).await;
        assert_ne!(a.headers()[header::ETAG], b.headers()[header::ETAG]);
    }
}
