//! Location metadata: states and districts fetched from the CoWIN-compatible
//! API, cached in Redis for a day, and name resolution with closest-match
//! suggestions for register and subscribe.

use crate::error::ApiError;
use crate::store::{CachedDoc, Store};
use crate::upstream::CowinClient;
use redis_hack_shared::{District, DistrictsResponse, State, StatesResponse, Target};
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

type DistrictIndex = Arc<HashMap<u32, Target>>;

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

    /// The `StatesResponse` body with its validators.
    pub async fn states_doc(&self) -> Result<CachedDoc, ApiError> {
        if let Some(doc) = self.store.cached("states").await? {
            return Ok(doc);
        }
        let states = self.upstream.states().await?;
        self.remember("states", &StatesResponse { states }).await
    }

    /// The `DistrictsResponse` body of a known state; 404 for an unknown id.
    pub async fn districts_doc(&self, state_id: u32) -> Result<CachedDoc, ApiError> {
        let name = format!("districts:{state_id}");
        if let Some(doc) = self.store.cached(&name).await? {
            return Ok(doc);
        }
        if !self.states().await?.iter().any(|s| s.state_id == state_id) {
            return Err(ApiError::NotFound(format!(
                "there is no state with id {state_id}"
            )));
        }
        let districts = self.upstream.districts(state_id).await?;
        self.remember(&name, &DistrictsResponse { districts }).await
    }

    pub async fn states(&self) -> Result<Vec<State>, ApiError> {
        Ok(parse::<StatesResponse>(&self.states_doc().await?)?.states)
    }

    pub async fn districts(&self, state_id: u32) -> Result<Vec<District>, ApiError> {
        Ok(parse::<DistrictsResponse>(&self.districts_doc(state_id).await?)?.districts)
    }

    /// Finds a district by state and district name (case-insensitive, trimmed).
    pub async fn resolve(&self, state: &str, district: &str) -> Result<Target, ApiError> {
        let states = self.states().await?;
        let Some(found) = states.iter().find(|s| same_name(&s.state_name, state)) else {
            let names = states.iter().map(|s| s.state_name.as_str());
            return Err(unknown(
                "unknown_state",
                format!("there is no state named '{}'", state.trim()),
                state,
                names,
            ));
        };
        let districts = self.districts(found.state_id).await?;
        match districts
            .iter()
            .find(|d| same_name(&d.district_name, district))
        {
            Some(d) => Ok(district_target(d, found)),
            None => {
                let names = districts.iter().map(|d| d.district_name.as_str());
                let message = format!(
                    "there is no district named '{}' in {}",
                    district.trim(),
                    found.state_name
                );
                Err(unknown("unknown_district", message, district, names))
            }
        }
    }

    /// Finds a district by id, in this process's index of every state's list.
    pub async fn district_by_id(&self, district_id: u32) -> Result<Target, ApiError> {
        let index = self.district_index().await?;
        index
            .get(&district_id)
            .cloned()
            .ok_or_else(|| ApiError::Unknown {
                code: "unknown_district",
                message: format!("there is no district with id {district_id}"),
                suggestions: vec![],
            })
    }

    async fn district_index(&self) -> Result<DistrictIndex, ApiError> {
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

    async fn remember<T: Serialize>(&self, name: &str, value: &T) -> Result<CachedDoc, ApiError> {
        let body = serde_json::to_string(value).map_err(anyhow::Error::from)?;
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

fn parse<T: serde::de::DeserializeOwned>(doc: &CachedDoc) -> Result<T, ApiError> {
    serde_json::from_str(&doc.body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cached location list: {e}")))
}

fn district_target(d: &District, state: &State) -> Target {
    Target::District {
        district_id: d.district_id,
        district_name: d.district_name.clone(),
        state_name: state.state_name.clone(),
    }
}

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// The three names closest to `wanted`, best first.
fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = normalise(wanted);
    let mut scored: Vec<(f64, &str)> = names
        .map(|n| {
            let candidate = normalise(n);
            let bonus = if !wanted.is_empty() && candidate.contains(&wanted) {
                0.2
            } else {
                0.0
            };
            (strsim::jaro_winkler(&wanted, &candidate) + bonus, n)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_owned())
        .collect()
}

fn unknown<'a>(
    code: &'static str,
    message: String,
    wanted: &str,
    names: impl Iterator<Item = &'a str>,
) -> ApiError {
    let suggestions = closest(wanted, names);
    let message = if suggestions.is_empty() {
        message
    } else {
        format!("{message}; closest matches: {}", suggestions.join(", "))
    };
    ApiError::Unknown {
        code,
        message,
        suggestions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_ignoring_case_and_extra_spaces() {
        assert!(same_name("West Bengal", "  west   BENGAL "));
        assert!(!same_name("Bihar", "Bihar Sharif"));
    }

    #[test]
    fn closest_names_put_the_likely_typo_first() {
        let names = ["Patna", "Purnia", "Gaya", "Nalanda", "Saran"];
        let got = closest("Patan", names.into_iter());
        assert_eq!(got.first().map(String::as_str), Some("Patna"));
        assert_eq!(got.len(), 3);
    }
}
