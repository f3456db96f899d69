//! The HTTP client for the redis-hack API. One function, `send`, turns every
//! non-2xx answer into a `ClientError` (in `error`) that reads as a sentence,
//! with the server's suggestions and `Retry-After` when it sent them.

mod error;
mod events;

pub use error::ClientError;
use error::{failure, json, root_cause};
pub use events::{EventStream, SseMessage};

use redis_hack_shared::{
    CreateSubscriptionRequest, CreatedSubscription, DistrictsResponse, HealthResponse,
    ReadyResponse, RegisterRequest, RegisterResponse, SlotsResponse, StatesResponse, Subscription,
    SubscriptionsResponse, VerifyRequest, VerifyResponse,
};
use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde::de::DeserializeOwned;
use std::time::Duration;

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

    /// `POST /v1/subscriptions/{id}/rearm`: a one-shot subscription alerts again.
    pub async fn rearm(&self, token: &str, id: &str) -> Result<Subscription, ClientError> {
        let path = format!("/v1/subscriptions/{id}/rearm");
        json(
            self.send(self.request(Method::POST, &path, Some(token)))
                .await?,
        )
        .await
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
