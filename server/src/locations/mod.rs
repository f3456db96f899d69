//! Location metadata: states and districts fetched from the CoWIN-compatible
//! API, sorted by name and cached in Redis for a day, and resolving what a
//! request names (a [`TargetSpec`]) to a [`Target`], with close names
//! suggested for an unknown one (`names`). Failures are [`LocationError`]s.

mod names;

use crate::store::{CachedDoc, Store, StoreError};
use crate::upstream::{CowinClient, UpstreamError};
use names::{closest, same_name, shown};
use redis_hack_shared::{
    District, DistrictId, DistrictsResponse, State, StateId, StatesResponse, Target, TargetSpec,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long fetched location lists are kept before asking upstream again.
const CACHE_TTL_SECS: u64 = 24 * 3600;

/// How long this process keeps its district-id index before rebuilding it
/// from the lists (a district added upstream is known within this time).
const INDEX_TTL: Duration = Duration::from_secs(300);

type DistrictIndex = Arc<HashMap<DistrictId, Target>>;

/// Why a location could not be listed or found.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("a cached location list is not what this version expects: {0}")]
    Cache(#[source] serde_json::Error),
    #[error("there is no state with id {0}")]
    NoStateId(StateId),
    #[error("there is no district with id {0}")]
    NoDistrictId(DistrictId),
    /// No state has this name; `suggestions` are the close ones.
    #[error("{}", unknown("state", "no state", wanted, None, suggestions))]
    UnknownState {
        wanted: String,
        suggestions: Vec<String>,
    },
    /// No district of `state` has this name.
    #[error(
        "{}",
        unknown("district", "no district", wanted, Some(state), suggestions)
    )]
    UnknownDistrict {
        wanted: String,
        state: String,
        suggestions: Vec<String>,
    },
}

/// "there is no district named 'kolkatta' in West Bengal; closest matches:
/// Kolkata", or, when nothing is close, "no district in Bihar is named like
/// 'Gotham'".
fn unknown(
    what: &str,
    none: &str,
    wanted: &str,
    within: Option<&String>,
    suggestions: &[String],
) -> String {
    let wanted = shown(wanted);
    match (suggestions.is_empty(), within) {
        (true, None) => format!("{none} is named like '{wanted}'"),
        (true, Some(state)) => format!("{none} in {state} is named like '{wanted}'"),
        (false, within) => {
            let within = within.map(|s| format!(" in {s}")).unwrap_or_default();
            let close = suggestions.join(", ");
            format!("there is no {what} named '{wanted}'{within}; closest matches: {close}")
        }
    }
}

/// Location lists, served from the Redis cache when possible.
#[derive(Clone)]
pub struct Locations {
    store: Store,
    upstream: CowinClient,
    /// District id -> target, built from every state's list: `register` with
    /// a district id would otherwise read and parse the lists state by state.
    index: Arc<RwLock<Option<(Instant, DistrictIndex)>>>,
}

impl Locations {
    pub fn new(store: Store, upstream: CowinClient) -> Self {
        Self {
            store,
            upstream,
            index: Arc::default(),
        }
    }

    /// The `StatesResponse` body with its validators, states by name.
    pub async fn states_doc(&self) -> Result<CachedDoc, LocationError> {
        if let Some(doc) = self.store.cached("states").await? {
            return Ok(doc);
        }
        let mut states = self.upstream.states().await?;
        states.sort_by_cached_key(|s| s.state_name.to_lowercase());
        self.remember("states", &StatesResponse { states }).await
    }

    /// The `DistrictsResponse` body of a known state, districts by name.
    pub async fn districts_doc(&self, state_id: StateId) -> Result<CachedDoc, LocationError> {
        let name = format!("districts:{state_id}");
        if let Some(doc) = self.store.cached(&name).await? {
            return Ok(doc);
        }
        if !self.states().await?.iter().any(|s| s.state_id == state_id) {
            return Err(LocationError::NoStateId(state_id));
        }
        let mut districts = self.upstream.districts(state_id).await?;
        districts.sort_by_cached_key(|d| d.district_name.to_lowercase());
        self.remember(&name, &DistrictsResponse { districts }).await
    }

    pub async fn states(&self) -> Result<Vec<State>, LocationError> {
        Ok(parse::<StatesResponse>(&self.states_doc().await?)?.states)
    }

    pub async fn districts(&self, state_id: StateId) -> Result<Vec<District>, LocationError> {
        Ok(parse::<DistrictsResponse>(&self.districts_doc(state_id).await?)?.districts)
    }

    /// What `spec` names, looked up where it names a district.
    pub async fn resolve(&self, spec: TargetSpec) -> Result<Target, LocationError> {
        match spec {
            TargetSpec::DistrictId(id) => self.district_by_id(id).await,
            TargetSpec::DistrictName { state, district } => {
                self.district_by_name(&state, &district).await
            }
            TargetSpec::Pincode(pincode) => Ok(Target::Pincode { pincode }),
            TargetSpec::Topic(topic) => Ok(Target::Topic { topic }),
        }
    }

    /// Finds a district by state and district name (case-insensitive, trimmed).
    async fn district_by_name(&self, state: &str, district: &str) -> Result<Target, LocationError> {
        let states = self.states().await?;
        let Some(found) = states.iter().find(|s| same_name(&s.state_name, state)) else {
            let names = states.iter().map(|s| s.state_name.as_str());
            return Err(LocationError::UnknownState {
                suggestions: closest(state, names),
                wanted: state.to_owned(),
            });
        };
        let districts = self.districts(found.state_id).await?;
        match districts
            .iter()
            .find(|d| same_name(&d.district_name, district))
        {
            Some(d) => Ok(district_target(d, found)),
            None => Err(LocationError::UnknownDistrict {
                suggestions: closest(district, districts.iter().map(|d| d.district_name.as_str())),
                wanted: district.to_owned(),
                state: found.state_name.clone(),
            }),
        }
    }

    /// Finds a district by id, in this process's index of every state's list.
    async fn district_by_id(&self, district_id: DistrictId) -> Result<Target, LocationError> {
        let index = self.district_index().await?;
        index
            .get(&district_id)
            .cloned()
            .ok_or(LocationError::NoDistrictId(district_id))
    }

    async fn district_index(&self) -> Result<DistrictIndex, LocationError> {
        if let Some((built, index)) = &*self.index.read().await
            && built.elapsed() < INDEX_TTL
        {
            return Ok(index.clone());
        }
        let mut index = HashMap::new();
        for state in self.states().await? {
            for d in self.districts(state.state_id).await? {
                index.insert(d.district_id, district_target(&d, &state));
            }
        }
        let index = Arc::new(index);
        *self.index.write().await = Some((Instant::now(), index.clone()));
        Ok(index)
    }

    async fn remember<T: Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<CachedDoc, LocationError> {
        let body = serde_json::to_string(value).map_err(|source| StoreError::Encode {
            what: "a location list",
            source,
        })?;
        let digest = hex::encode(Sha256::digest(body.as_bytes()));
        let fetched_at = crate::store::now_ms() / 1000;
        let doc = CachedDoc {
            etag: format!("\"{}\"", &digest[..20]),
            body,
            fetched_at,
        };
        self.store.put_cached(name, &doc, CACHE_TTL_SECS).await?;
        Ok(doc)
    }
}

fn parse<T: serde::de::DeserializeOwned>(doc: &CachedDoc) -> Result<T, LocationError> {
    serde_json::from_str(&doc.body).map_err(LocationError::Cache)
}

fn district_target(d: &District, state: &State) -> Target {
    Target::District {
        district_id: d.district_id,
        district_name: d.district_name.clone(),
        state_name: state.state_name.clone(),
    }
}
