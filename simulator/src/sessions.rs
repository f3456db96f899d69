//! Appointment sessions: `calendarByDistrict` and `calendarByPin` as the real
//! API served them (7 days from `date`, ETag / Last-Modified, 304), its
//! per-client limit answered with 403 and Retry-After, and control endpoints
//! under `/control` to open, change and close capacity and to inject faults
//! (latency, an error status, a malformed body).

use crate::world::{Centre, World, days_of, india_today};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Faults to inject into calendar answers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer with this status (e.g. 500) instead of the calendar.
    #[serde(default)]
    pub status: Option<u16>,
    /// Answer 200 with an HTML error page instead of JSON.
    #[serde(default)]
    pub malformed: bool,
}

/// The simulator's shared state.
pub struct Sim {
    pub world: Mutex<World>,
    pub(crate) faults: Mutex<Faults>,
    /// At most `.0` calendar calls per `.1` per client IP; `None` is unlimited.
    limit: Option<(usize, Duration)>,
    calls: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Sim {
    pub fn new(seed: u64, limit: Option<(usize, Duration)>) -> Arc<Self> {
        Arc::new(Self {
            world: Mutex::new(World::new(seed, district_names())),
            faults: Mutex::default(),
            limit,
            calls: Mutex::default(),
        })
    }

    /// Seconds until `ip` may call again, or `None` if it may call now (and it is counted).
    fn throttle(&self, ip: IpAddr) -> Option<u64> {
        let (max, window) = self.limit?;
        let mut calls = self.calls.lock().unwrap();
        let log = calls.entry(ip).or_default();
        let now = Instant::now();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            log.pop_front();
        }
        if log.len() >= max {
            let free_at = *log.front()? + window;
            return Some(free_at.duration_since(now).as_secs().max(1));
        }
        log.push_back(now);
        None
    }
}

/// Every district id and name in the embedded location snapshot.
pub(crate) fn district_names() -> BTreeMap<u32, String> {
    #[derive(Deserialize)]
    struct Snapshot {
        states: Vec<StateEntry>,
    }
    #[derive(Deserialize)]
    struct StateEntry {
        districts: Vec<DistrictEntry>,
    }
    #[derive(Deserialize)]
    struct DistrictEntry {
        district_id: u32,
        district_name: String,
    }
    let snapshot: Snapshot = serde_json::from_str(include_str!("../../data/cowin-locations.json"))
        .expect("the embedded snapshot is valid");
    snapshot
        .states
        .into_iter()
        .flat_map(|s| s.districts)
        .map(|d| (d.district_id, d.district_name))
        .collect()
}

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(
            "/api/v2/appointment/sessions/public/calendarByDistrict",
            get(by_district),
        )
        .route(
            "/api/v2/appointment/sessions/public/calendarByPin",
            get(by_pin),
        )
        .with_state(sim)
}

type Q = Query<HashMap<String, String>>;

async fn by_district(State(sim): State<Arc<Sim>>, Query(q): Q, req: Request) -> Response {
    let Some(id) = q.get("district_id").and_then(|v| v.parse::<u32>().ok()) else {
        return bad_request("district_id");
    };
    calendar(
        &sim,
        peer(&req),
        req.headers().clone(),
        &q,
        |world, first| {
            world
                .district(id, first)
                .map(|d| (d.centres.clone(), d.changed))
        },
    )
    .await
}

async fn by_pin(State(sim): State<Arc<Sim>>, Query(q): Q, req: Request) -> Response {
    let Some(pin) = q.get("pincode").and_then(|v| v.parse::<u32>().ok()) else {
        return bad_request("pincode");
    };
    calendar(
        &sim,
        peer(&req),
        req.headers().clone(),
        &q,
        |world, first| Some(world.by_pincode(pin, first)),
    )
    .await
}

async fn calendar(
    sim: &Sim,
    ip: IpAddr,
    headers: HeaderMap,
    q: &HashMap<String, String>,
    pick: impl FnOnce(&mut World, i64) -> Option<(Vec<Centre>, SystemTime)>,
) -> Response {
    if let Some(wait) = sim.throttle(ip) {
        return (
            StatusCode::FORBIDDEN,
            [(header::RETRY_AFTER, wait.to_string())],
            "<html><body>403 Forbidden</body></html>",
        )
            .into_response();
    }
    let Some(from) = q.get("date").and_then(|d| days_of(d)) else {
        return bad_request("date");
    };
    let faults = sim.faults.lock().unwrap().clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if let Some(status) = faults.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        return (status, "<html><body>upstream error</body></html>").into_response();
    }
    if faults.malformed {
        return (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response();
    }
    let picked = pick(&mut sim.world.lock().unwrap(), india_today());
    let (mut centres, changed) = picked.unwrap_or((Vec::new(), SystemTime::UNIX_EPOCH));
    for c in &mut centres {
        c.sessions
            .retain(|s| days_of(&s.date).is_some_and(|d| d >= from && d < from + 7));
    }
    centres.retain(|c| !c.sessions.is_empty());
    let body = json!({ "centers": centres }).to_string();
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..16]
    );
    let fresh = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|t| t.trim() == etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok())
            .is_some_and(|since| changed <= since),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(changed)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    response
}

/// The client's address (all clients are one when served without connect info).
fn peer(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

fn bad_request(what: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(
            json!({"errorCode": "USRRES0001", "error": format!("Input parameter missing: {what}")}),
        ),
    )
        .into_response()
}
