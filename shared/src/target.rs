//! What a subscription watches, in its three forms: a [`TargetSpec`] is what a
//! request names, parsed once from the request's flat fields; a [`Target`] is
//! what a subscription holds once the server resolved it; a [`TargetKey`] is
//! its short name in the server's indexes, schedules and queues (`d:97`,
//! `p:800001`, `t:cs101`).

use crate::domain::{DistrictId, Filters, Pincode, TopicName};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a subscription watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    District {
        district_id: DistrictId,
        district_name: String,
        state_name: String,
    },
    Pincode {
        pincode: Pincode,
    },
    /// Openings a publisher announces on a topic.
    Topic {
        topic: TopicName,
    },
}

impl Target {
    /// The target's short key, as the server's indexes and poller name it.
    pub fn key(&self) -> TargetKey {
        match self {
            Self::District { district_id, .. } => TargetKey::District(*district_id),
            Self::Pincode { pincode } => TargetKey::Pincode(pincode.clone()),
            Self::Topic { topic } => TargetKey::Topic(topic.clone()),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::District {
                district_id,
                district_name,
                state_name,
            } => {
                write!(f, "{district_name}, {state_name} (district {district_id})")
            }
            Self::Pincode { pincode } => write!(f, "pincode {pincode}"),
            Self::Topic { topic } => write!(f, "topic {topic}"),
        }
    }
}

/// A target's short name: `d:{district_id}`, `p:{pincode}` or `t:{topic}`.
/// In JSON it is that string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TargetKey {
    District(DistrictId),
    Pincode(Pincode),
    Topic(TopicName),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a target key like d:97, p:800001 or t:cs101")]
pub struct TargetKeyError(pub String);

impl TargetKey {
    pub fn parse(raw: &str) -> Result<Self, TargetKeyError> {
        let bad = || TargetKeyError(raw.chars().take(80).collect());
        let parsed = match raw.split_once(':').ok_or_else(bad)? {
            ("d", id) => id.parse().ok().map(Self::District),
            ("p", pin) => Pincode::parse(pin).ok().map(Self::Pincode),
            ("t", topic) => TopicName::parse(topic).ok().map(Self::Topic),
            _ => None,
        };
        parsed.ok_or_else(bad)
    }

    /// `district`, `pincode` or `topic`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::District(_) => "district",
            Self::Pincode(_) => "pincode",
            Self::Topic(_) => "topic",
        }
    }

    /// Whether the poller fetches it (topics are pushed by publishers instead).
    pub fn is_polled(&self) -> bool {
        !matches!(self, Self::Topic(_))
    }
}

impl fmt::Display for TargetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::District(id) => write!(f, "d:{id}"),
            Self::Pincode(pin) => write!(f, "p:{pin}"),
            Self::Topic(topic) => write!(f, "t:{topic}"),
        }
    }
}

impl TryFrom<String> for TargetKey {
    type Error = TargetKeyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TargetKey> for String {
    fn from(value: TargetKey) -> Self {
        value.to_string()
    }
}

/// The target a request names, before the server looks names up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    DistrictId(DistrictId),
    /// A district by its state's and its own name, as the user typed them.
    DistrictName {
        state: String,
        district: String,
    },
    Pincode(Pincode),
    Topic(TopicName),
}

/// Why a request's target fields do not name one target. Each has the
/// error `code` the API answers it with (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetSpecError {
    #[error("give exactly one of: district_id, state and district, pincode, or topic")]
    NotExactlyOne,
    #[error("give either district_id or state and district names, not both")]
    Ambiguous,
    #[error("a state was given without a district")]
    MissingDistrict,
    #[error("a district was given without its state")]
    MissingState,
    #[error(
        "a topic subscription takes only min_capacity; age, dose, vaccine and fee are for vaccination sessions"
    )]
    FiltersNotForTopics,
}

impl TargetSpecError {
    /// The API's error code for it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotExactlyOne => "invalid_target",
            Self::Ambiguous => "ambiguous_district",
            Self::MissingDistrict => "missing_district",
            Self::MissingState => "missing_state",
            Self::FiltersNotForTopics => "filter_not_for_topics",
        }
    }
}

/// A request's target fields as sent (each optional on the wire).
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetFields<'a> {
    pub district_id: Option<DistrictId>,
    pub state: Option<&'a str>,
    pub district: Option<&'a str>,
    pub pincode: Option<&'a Pincode>,
    pub topic: Option<&'a TopicName>,
}

impl TargetSpec {
    /// A subscription's target: exactly one of a district id, a state and a
    /// district name, a pincode or a topic; a topic takes no filter but
    /// `min_capacity`.
    pub fn for_subscription(
        fields: TargetFields<'_>,
        filters: &Filters,
    ) -> Result<Self, TargetSpecError> {
        let TargetFields {
            district_id,
            state,
            district,
            pincode,
            topic,
        } = fields;
        match (district_id, state, district, pincode, topic) {
            (Some(id), None, None, None, None) => Ok(Self::DistrictId(id)),
            (None, Some(state), Some(district), None, None) => Ok(Self::names(state, district)),
            (None, None, None, Some(pincode), None) => Ok(Self::Pincode(pincode.clone())),
            (None, None, None, None, Some(topic)) => {
                let only_capacity = Filters {
                    min_capacity: filters.min_capacity,
                    ..Filters::default()
                };
                match *filters == only_capacity {
                    true => Ok(Self::Topic(topic.clone())),
                    false => Err(TargetSpecError::FiltersNotForTopics),
                }
            }
            (None, Some(_), None, None, None) => Err(TargetSpecError::MissingDistrict),
            (None, None, Some(_), None, None) => Err(TargetSpecError::MissingState),
            _ => Err(TargetSpecError::NotExactlyOne),
        }
    }

    /// The district a registration names, if any: by id, or by state and
    /// district name, not both.
    pub fn for_registration(fields: TargetFields<'_>) -> Result<Option<Self>, TargetSpecError> {
        match (fields.district_id, fields.state, fields.district) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(TargetSpecError::Ambiguous),
            (Some(id), None, None) => Ok(Some(Self::DistrictId(id))),
            (None, Some(state), Some(district)) => Ok(Some(Self::names(state, district))),
            (None, Some(_), None) => Err(TargetSpecError::MissingDistrict),
            (None, None, Some(_)) => Err(TargetSpecError::MissingState),
            (None, None, None) => Ok(None),
        }
    }

    fn names(state: &str, district: &str) -> Self {
        Self::DistrictName {
            state: state.to_owned(),
            district: district.to_owned(),
        }
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
