//! The control endpoints under `/control`: open or change a session's
//! capacity, close a district, inject faults (latency, an error status, a
//! malformed body); and `auto_open`, which opens a slot now and then for demos.

use crate::sessions::{Faults, Sim};
use crate::world::{india_today, whole_seconds};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/control/open", post(open))
        .route("/control/close", post(close))
        .route("/control/faults", post(set_faults))
        .with_state(sim)
}

/// `POST /control/open`: set a session's capacity (the district's first session today by default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Open {
    district_id: u32,
    #[serde(default)]
    session_id: Option<String>,
    dose1: u32,
    #[serde(default)]
    dose2: u32,
}

async fn open(State(sim): State<Arc<Sim>>, Json(o): Json<Open>) -> Response {
    let mut world = sim.world.lock().unwrap();
    let Some(district) = world.district(o.district_id, india_today()) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no district {}", o.district_id)})),
        )
            .into_response();
    };
    let wanted = o
        .session_id
        .unwrap_or_else(|| district.centres[0].sessions[0].session_id.clone());
    for centre in &mut district.centres {
        if let Some(s) = centre.sessions.iter_mut().find(|s| s.session_id == wanted) {
            s.available_capacity_dose1 = o.dose1;
            s.available_capacity_dose2 = o.dose2;
            s.available_capacity = o.dose1 + o.dose2;
            district.changed =
                whole_seconds(SystemTime::now()).max(district.changed + Duration::from_secs(1));
            return Json(
                json!({"district_id": o.district_id, "center": centre.name, "session": s}),
            )
            .into_response();
        }
    }
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no session {wanted} in district {}", o.district_id)})),
    )
        .into_response()
}

/// `POST /control/close`: every session of the district back to no capacity.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Close {
    district_id: u32,
}

async fn close(State(sim): State<Arc<Sim>>, Json(c): Json<Close>) -> StatusCode {
    let mut world = sim.world.lock().unwrap();
    let Some(district) = world.district(c.district_id, india_today()) else {
        return StatusCode::NOT_FOUND;
    };
    for s in district
        .centres
        .iter_mut()
        .flat_map(|c| c.sessions.iter_mut())
    {
        (
            s.available_capacity,
            s.available_capacity_dose1,
            s.available_capacity_dose2,
        ) = (0, 0, 0);
    }
    district.changed =
        whole_seconds(SystemTime::now()).max(district.changed + Duration::from_secs(1));
    StatusCode::NO_CONTENT
}

/// `POST /control/faults`: `{}` clears them.
async fn set_faults(State(sim): State<Arc<Sim>>, Json(f): Json<Faults>) -> StatusCode {
    *sim.faults.lock().unwrap() = f;
    StatusCode::NO_CONTENT
}

/// For demos: every `every`, close what is open in `district` and open a
/// different session with a few slots, so alerts keep arriving.
pub async fn auto_open(sim: Arc<Sim>, district: u32, every: Duration) {
    let mut turn: usize = 0;
    loop {
        tokio::time::sleep(every).await;
        let mut world = sim.world.lock().unwrap();
        let Some(d) = world.district(district, india_today()) else {
            return;
        };
        let sessions: Vec<_> = d
            .centres
            .iter_mut()
            .flat_map(|c| c.sessions.iter_mut())
            .collect();
        let count = sessions.len();
        for (i, s) in sessions.into_iter().enumerate() {
            let open = i == turn % count;
            let dose1 = if open { 5 + (turn as u32 * 7) % 20 } else { 0 };
            let dose2 = if open { (turn as u32 * 3) % 6 } else { 0 };
            (
                s.available_capacity_dose1,
                s.available_capacity_dose2,
                s.available_capacity,
            ) = (dose1, dose2, dose1 + dose2);
        }
        d.changed = whole_seconds(SystemTime::now()).max(d.changed + Duration::from_secs(1));
        tracing::info!(district, "opened a slot (SIM_AUTO_OPEN)");
        turn += 1;
    }
}
