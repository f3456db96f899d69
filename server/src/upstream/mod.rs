//! The CoWIN-compatible API client: the only module that knows the upstream
//! JSON shapes. It maps them to the shared `State` / `District` types at the
//! edge, caps response size and time, sends a proper User-Agent, and uses
//! conditional GET for calendars.

mod calendar;
mod fetch;

use fetch::Fetch;
pub use fetch::Validators;
use redis_hack_shared::{District, DistrictId, Pincode, Session, State};
use serde::Deserialize;
use std::time::Duration;

/// Where people book a session the API listed.
pub const BOOKING_URL: &str = "https://selfregistration.cowin.gov.in/";

/// Biggest upstream body we read; the real district lists are a few KiB.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Why the upstream could not answer.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Shown without the URL: an error string (in `/v1/status`, a 502 body,
    /// a log) never holds configuration such as `COWIN_API_URL`.
    #[error("the CoWIN API could not be reached: {}", transport(.0))]
    Transport(reqwest::Error),
    #[error("the CoWIN API answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the CoWIN API sent more than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the CoWIN API refused with {status} (rate limit){}", wait_hint(*retry_after))]
    RateLimited {
        status: reqwest::StatusCode,
        retry_after: Option<Duration>,
    },
    #[error("the CoWIN API sent a body that is not the expected JSON: {0}")]
    Shape(#[from] serde_json::Error),
}

impl From<reqwest::Error> for UpstreamError {
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e.without_url())
    }
}

/// What went wrong in a transport error, by kind and innermost cause, without the URL.
fn transport(e: &reqwest::Error) -> String {
    let kind = match () {
        () if e.is_timeout() => "timed out",
        () if e.is_connect() => "connection failed",
        () if e.is_body() || e.is_decode() => "the body could not be read",
        () => "request failed",
    };
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    match std::ptr::addr_eq(cause, e as &dyn std::error::Error) {
        true => kind.to_owned(),
        false => format!("{kind} ({cause})"),
    }
}

/// `; retry after N s`, when the upstream said.
fn wait_hint(retry_after: Option<Duration>) -> String {
    retry_after.map_or(String::new(), |d| {
        format!("; retry after {} s", d.as_secs())
    })
}

#[derive(Deserialize)]
struct StatesPayload {
    states: Vec<StatePayload>,
}

#[derive(Deserialize)]
struct StatePayload {
    state_id: u32,
    state_name: String,
}

#[derive(Deserialize)]
struct DistrictsPayload {
    districts: Vec<DistrictPayload>,
}

#[derive(Deserialize)]
struct DistrictPayload {
    district_id: u32,
    district_name: String,
}

/// A client for one CoWIN-compatible base URL.
#[derive(Clone)]
pub struct CowinClient {
    http: reqwest::Client,
    base: String,
}

impl CowinClient {
    pub fn new(base: &str) -> Result<Self, UpstreamError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "redis-hack/",
                env!("CARGO_PKG_VERSION"),
                " (slot alerts)"
            ))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Self {
            http,
            base: base.to_owned(),
        })
    }

    pub async fn states(&self) -> Result<Vec<State>, UpstreamError> {
        let body = self.get("/admin/location/states").await?;
        let payload: StatesPayload = serde_json::from_slice(&body)?;
        Ok(payload
            .states
            .into_iter()
            .map(|s| State {
                state_id: s.state_id,
                state_name: s.state_name.trim().to_owned(),
            })
            .collect())
    }

    pub async fn districts(&self, state_id: u32) -> Result<Vec<District>, UpstreamError> {
        let body = self
            .get(&format!("/admin/location/districts/{state_id}"))
            .await?;
        let payload: DistrictsPayload = serde_json::from_slice(&body)?;
        Ok(payload
            .districts
            .into_iter()
            .map(|d| District {
                district_id: d.district_id.into(),
                district_name: d.district_name.trim().to_owned(),
            })
            .collect())
    }

    /// Sessions for the 7 days from `date` (DD-MM-YYYY) in a district, conditionally.
    pub async fn calendar_by_district(
        &self,
        district_id: DistrictId,
        date: &str,
        known: &Validators,
    ) -> Result<Calendar, UpstreamError> {
        let path = format!(
            "/appointment/sessions/public/calendarByDistrict?district_id={district_id}&date={date}"
        );
        self.calendar(&path, district_id, known).await
    }

    /// Sessions for the 7 days from `date` at one pincode, conditionally.
    pub async fn calendar_by_pin(
        &self,
        pincode: &Pincode,
        date: &str,
        known: &Validators,
    ) -> Result<Calendar, UpstreamError> {
        let path =
            format!("/appointment/sessions/public/calendarByPin?pincode={pincode}&date={date}");
        // Centres name their district; a pincode query has none to fall back on.
        self.calendar(&path, DistrictId::default(), known).await
    }

    async fn calendar(
        &self,
        path: &str,
        district_id: DistrictId,
        known: &Validators,
    ) -> Result<Calendar, UpstreamError> {
        Ok(match self.fetch(path, known).await? {
            Fetch::NotModified => Calendar::NotModified,
            Fetch::Body {
                bytes,
                validators,
                date,
            } => Calendar::Fresh {
                sessions: calendar::parse(&bytes, district_id)?,
                validators,
                date,
            },
        })
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, UpstreamError> {
        match self.fetch(path, &Validators::default()).await? {
            Fetch::Body { bytes, .. } => Ok(bytes),
            // We sent no validators, so a 304 is the upstream misbehaving.
            Fetch::NotModified => Err(UpstreamError::Status(reqwest::StatusCode::NOT_MODIFIED)),
        }
    }
}

/// A calendar answer: unchanged, or fresh sessions with their validators.
#[derive(Debug)]
pub enum Calendar {
    NotModified,
    Fresh {
        sessions: Vec<Session>,
        validators: Validators,
        date: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transport_error_does_not_show_the_configured_url() {
        let client = CowinClient::new("http://127.0.0.1:9/secret-base/api/v2").unwrap();
        let e = client.states().await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, UpstreamError::Transport(_)), "{text}");
        assert!(
            !text.contains("secret-base") && !text.contains("127.0.0.1"),
            "{text}"
        );
        assert!(text.contains("could not be reached"), "{text}");
    }
}
