//! The HTTP client for the redis-hack API. One function, `send`, turns every
//! non-2xx answer into a `ClientError` that reads as a sentence, with the
//! server's suggestions and `Retry-After` when it sent them.

use redis_hack_shared::{
    CreateSubscriptionRequest, CreatedSubscription, DistrictsResponse, ErrorBody, HealthResponse,
    ReadyResponse, RegisterRequest, RegisterResponse, SlotsResponse, StatesResponse,
    SubscriptionsResponse, VerifyRequest, VerifyResponse,
};
use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Why a request did not give the expected answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{}", api_message(.body, .retry_after))]
    Api {
        status: StatusCode,
        body: ErrorBody,
        retry_after: Option<u64>,
    },
    #[error("the server answered {status} without an explanation: {text}")]
    Unexpected { status: StatusCode, text: String },
}

fn api_message(body: &ErrorBody, retry_after: &Option<u64>) -> String {
    let mut message = body.error.message.clone();
    if !body.error.suggestions.is_empty() && !message.contains(&body.error.suggestions[0]) {
        message.push_str(&format!(
            "; did you mean: {}?",
            body.error.suggestions.join(", ")
        ));
    }
    if let Some(secs) = retry_after {
        message.push_str(&format!("; try again in {secs} seconds"));
    }
    message
}

impl ClientError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::Unexpected { status, .. } => Some(*status),
            Self::Unreachable { .. } => None,
        }
    }
}

/// The result of a conditional GET.
pub enum Conditional<T> {
    Fresh { response: T, etag: Option<String> },
    NotModified,
}

/// The result of a conditional list request.
pub type Listed = Conditional<SubscriptionsResponse>;

/// What `GET /readyz` said: 200 or 503 with the checks, or nothing to say
/// (a 404 from a server older than `/readyz`).
pub enum Readiness {
    Answered(ReadyResponse),
    Unknown,
}

/// A client for one server, optionally holding a bearer token.
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
}

impl ApiClient {
    /// A client that waits 5 s to connect and 30 s for an answer.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Self::with_timeouts(base, Duration::from_secs(5), Duration::from_secs(30))
    }

    /// A client with its own limits on connecting and on a whole request.
    pub fn with_timeouts(base: &str, connect: Duration, total: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("redis-hack/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(connect)
            .timeout(total)
            .build()?;
        Ok(Self {
            http,
            base: base.to_owned(),
        })
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    /// `GET /healthz`: whether the server process answers at all.
    pub async fn health(&self) -> Result<HealthResponse, ClientError> {
        json(
            self.send(self.request(Method::GET, "/healthz", None))
                .await?,
        )
        .await
    }

    /// `GET /readyz`, whose 503 carries the failed checks rather than an error.
    pub async fn readiness(&self) -> Result<Readiness, ClientError> {
        let response = self
            .request(Method::GET, "/readyz", None)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(Readiness::Unknown),
            StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE => {
                json(response).await.map(Readiness::Answered)
            }
            _ => Err(failure(response).await),
        }
    }

    pub async fn states(&self) -> Result<StatesResponse, ClientError> {
        json(
            self.send(self.request(Method::GET, "/v1/states", None))
                .await?,
        )
        .await
    }

    pub async fn districts(&self, state_id: u32) -> Result<DistrictsResponse, ClientError> {
        let path = format!("/v1/states/{state_id}/districts");
        json(self.send(self.request(Method::GET, &path, None)).await?).await
    }

    pub async fn register(&self, req: &RegisterRequest) -> Result<RegisterResponse, ClientError> {
        json(
            self.send(self.request(Method::POST, "/v1/register", None).json(req))
                .await?,
        )
        .await
    }

    pub async fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, ClientError> {
        json(
            self.send(self.request(Method::POST, "/v1/verify", None).json(req))
                .await?,
        )
        .await
    }

    pub async fn subscribe(
        &self,
        token: &str,
        req: &CreateSubscriptionRequest,
    ) -> Result<CreatedSubscription, ClientError> {
        json(
            self.send(
                self.request(Method::POST, "/v1/subscriptions", Some(token))
                    .json(req),
            )
            .await?,
        )
        .await
    }

    /// Lists subscriptions, sending `If-None-Match` when we hold a cached copy.
    pub async fn list(&self, token: &str, etag: Option<&str>) -> Result<Listed, ClientError> {
        self.conditional(
            self.request(Method::GET, "/v1/subscriptions", Some(token)),
            etag,
        )
        .await
    }

    /// Open slots in the user's districts, conditionally on a cached ETag.
    pub async fn slots(
        &self,
        token: &str,
        district_id: Option<u32>,
        etag: Option<&str>,
    ) -> Result<Conditional<SlotsResponse>, ClientError> {
        let path = match district_id {
            Some(id) => format!("/v1/slots?district_id={id}"),
            None => "/v1/slots".to_owned(),
        };
        self.conditional(self.request(Method::GET, &path, Some(token)), etag)
            .await
    }

    async fn conditional<T: DeserializeOwned>(
        &self,
        mut req: RequestBuilder,
        etag: Option<&str>,
    ) -> Result<Conditional<T>, ClientError> {
        if let Some(etag) = etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        let response = self.send(req).await?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified);
        }
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Conditional::Fresh {
            response: json(response).await?,
            etag,
        })
    }

    pub async fn unsubscribe(&self, token: &str, id: &str) -> Result<(), ClientError> {
        let path = format!("/v1/subscriptions/{id}");
        self.send(self.request(Method::DELETE, &path, Some(token)))
            .await
            .map(drop)
    }

    pub async fn logout(&self, token: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, "/v1/session", Some(token)))
            .await
            .map(drop)
    }

    /// Sends `req`; 2xx and 304 pass, anything else becomes a `ClientError`.
    async fn send(&self, req: RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let response = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        Err(failure(response).await)
    }

    fn unreachable(&self, e: &reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            url: self.base.clone(),
            reason: root_cause(e),
        }
    }
}

/// The error an unwanted answer stands for: the server's explanation when it sent one.
async fn failure(response: reqwest::Response) -> ClientError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ClientError::Api {
            status,
            body,
            retry_after,
        },
        Err(_) => ClientError::Unexpected {
            status,
            text: text.chars().take(200).collect(),
        },
    }
}

async fn json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ClientError> {
    let status = response.status();
    let text = response.text().await.map_err(|e| ClientError::Unexpected {
        status,
        text: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ClientError::Unexpected {
        status,
        text: format!("the answer is not what this version of redis-hack expects ({e})"),
    })
}

/// The innermost error message ("Connection refused", "dns error", ...).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
