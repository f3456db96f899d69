//! The CoWIN-compatible API client: the only module that knows the upstream
//! JSON shapes. It maps them to the shared `State` / `District` types at the
//! edge, caps response size and time, and sends a proper User-Agent.

use redis_hack_shared::{District, State};
use serde::Deserialize;
use std::time::Duration;

/// Biggest upstream body we read; the real district lists are a few KiB.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Why the upstream could not answer.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("the CoWIN API could not be reached: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the CoWIN API answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the CoWIN API sent more than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the CoWIN API sent a body that is not the expected JSON: {0}")]
    Shape(#[from] serde_json::Error),
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
                district_id: d.district_id,
                district_name: d.district_name.trim().to_owned(),
            })
            .collect())
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, UpstreamError> {
        let mut response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(UpstreamError::Status(response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n as usize > MAX_BODY)
        {
            return Err(UpstreamError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(UpstreamError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
