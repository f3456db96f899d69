//! Request and response bodies of the HTTP API under `/v1`.
//!
//! Request bodies refuse unknown fields, so a typo in a field name is an error
//! rather than a silently ignored filter.

use crate::domain::{
    DistrictId, EmailAddress, FieldTooLong, MAX_DEVICE_CHARS, MAX_NAME_CHARS, OtpCode, StateId,
    check_len,
};
use crate::subscription::Subscription;
use crate::target::{TargetFields, TargetSpec, TargetSpecError};
use serde::{Deserialize, Serialize};

/// How long an emailed code stays valid.
pub const OTP_TTL_SECS: u64 = 600;

/// A state as the location endpoints return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct State {
    pub state_id: StateId,
    pub state_name: String,
}

/// A district as the location endpoints return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct District {
    pub district_id: DistrictId,
    pub district_name: String,
}

/// `GET /v1/states`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatesResponse {
    pub states: Vec<State>,
}

/// `GET /v1/states/{state_id}/districts`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictsResponse {
    pub districts: Vec<District>,
}

/// `POST /v1/register`: ask for a one-time code. The district, by id or by
/// state and district name, becomes the first subscription after `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: EmailAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district_id: Option<DistrictId>,
}

impl RegisterRequest {
    /// Refuses a state or district name longer than [`MAX_NAME_CHARS`].
    pub fn check_lengths(&self) -> Result<(), FieldTooLong> {
        check_len("state", self.state.as_deref(), MAX_NAME_CHARS)?;
        check_len("district", self.district.as_deref(), MAX_NAME_CHARS)
    }

    /// The district to watch once verified, if the request names one.
    pub fn target(&self) -> Result<Option<TargetSpec>, TargetSpecError> {
        TargetSpec::for_registration(TargetFields {
            district_id: self.district_id,
            state: self.state.as_deref(),
            district: self.district.as_deref(),
            ..TargetFields::default()
        })
    }
}

/// The 202 answer to `register`: the same whether or not the address is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResponse {
    pub message: String,
    pub expires_in_secs: u64,
}

/// `POST /v1/verify`: trade the emailed code for a bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub email: EmailAddress,
    pub code: OtpCode,
    /// A label for the device the token is issued to, e.g. its host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub device: Option<String>,
}

impl VerifyRequest {
    /// Refuses a device label longer than [`MAX_DEVICE_CHARS`].
    pub fn check_lengths(&self) -> Result<(), FieldTooLong> {
        check_len("device", self.device.as_deref(), MAX_DEVICE_CHARS)
    }
}

/// The answer to a successful `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyResponse {
    /// Shown once; the server keeps only its hash.
    pub token: String,
    pub email: EmailAddress,
    pub subscriptions: Vec<Subscription>,
}

/// `GET /healthz`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    pub status: String,
}

/// `GET /readyz`: whether this process can do its work. 200 with `status:
/// "ready"` when every check passed, 503 with `status: "not_ready"` otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadyResponse {
    pub status: String,
    /// One entry per dependency this process needs: `redis` always, `smtp`
    /// when it sends mail.
    pub checks: Vec<ReadyCheck>,
}

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadyCheck {
    /// `redis` or `smtp`.
    pub name: String,
    pub ok: bool,
    /// What is wrong, when it is not ok ("cannot reach Redis"): never the
    /// underlying error, a secret or a credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_request_fields_are_refused() {
        let err = serde_json::from_str::<RegisterRequest>(r#"{"email":"a@b.in","distrct":"x"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `distrct`"), "{err}");
    }
}
