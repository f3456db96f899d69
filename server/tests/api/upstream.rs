//! A controllable CoWIN calendar upstream for poller tests: real HTTP on port
//! 0, a body the test sets per district, ETag / 304, and a switch that
//! answers 403 with Retry-After like the real API's rate limit.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Inner {
    bodies: HashMap<u32, String>,
    forbid_for_secs: Option<u64>,
    calls: u64,
}

#[derive(Clone, Default)]
pub struct FakeUpstream(Arc<Mutex<Inner>>);

impl FakeUpstream {
    /// Starts serving; returns the handle and the base URL.
    pub async fn start() -> (Self, String) {
        let fake = Self::default();
        let app = axum::Router::new()
            .route(
                "/api/v2/appointment/sessions/public/calendarByDistrict",
                axum::routing::get(calendar),
            )
            .route(
                "/api/v2/appointment/sessions/public/calendarByPin",
                axum::routing::get(calendar),
            )
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v2", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (fake, base)
    }

    /// Sets district (or pincode) `id`'s calendar to these sessions (id, dose-1 and dose-2 capacity) at one centre.
    pub fn set_sessions(&self, id: u32, sessions: &[(&str, u32, u32)]) {
        let sessions: Vec<serde_json::Value> = sessions
            .iter()
            .map(|(sid, d1, d2)| {
                serde_json::json!({"session_id": sid, "date": "01-01-2099", "available_capacity": d1 + d2,
                    "available_capacity_dose1": d1, "available_capacity_dose2": d2, "min_age_limit": 18,
                    "vaccine": "COVISHIELD", "slots": ["09:00AM-11:00AM"]})
            })
            .collect();
        let body = serde_json::json!({"centers": [{"center_id": id, "name": format!("Centre {id}"),
            "address": "Station Road", "pincode": 800001, "fee_type": "Free", "sessions": sessions}]});
        self.0.lock().unwrap().bodies.insert(id, body.to_string());
    }

    /// Sets district `id`'s answer to any body at all.
    pub fn set_raw(&self, id: u32, body: &str) {
        self.0.lock().unwrap().bodies.insert(id, body.to_owned());
    }

    pub fn forbid(&self, retry_after_secs: Option<u64>) {
        self.0.lock().unwrap().forbid_for_secs = retry_after_secs;
    }

    pub fn calls(&self) -> u64 {
        self.0.lock().unwrap().calls
    }
}

async fn calendar(
    State(fake): State<FakeUpstream>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = fake.0.lock().unwrap();
    inner.calls += 1;
    if let Some(secs) = inner.forbid_for_secs {
        return (
            StatusCode::FORBIDDEN,
            [(header::RETRY_AFTER, secs.to_string())],
            "rate limited",
        )
            .into_response();
    }
    let id: u32 = q
        .get("district_id")
        .or(q.get("pincode"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body = inner
        .bodies
        .get(&id)
        .cloned()
        .unwrap_or_else(|| r#"{"centers":[]}"#.into());
    let etag = format!(
        "\"{:x}\"",
        body.len() * 31 + body.bytes().map(usize::from).sum::<usize>()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}
