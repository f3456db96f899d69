//! What operators and orchestrators ask every role: `GET /healthz` (the
//! process is up), `GET /readyz` (it can reach what it needs: Redis with the
//! JSON module always, the SMTP server where this process sends mail) and
//! `GET /metrics` (Prometheus text; with an `OPERATOR_KEY` set, only for
//! requests that show it).

use crate::error::ApiError;
use crate::extract::Operator;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use redis_hack_shared::{ErrorBody, HealthResponse, ReadyCheck, ReadyResponse};
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};

/// How long one readiness check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The process is alive (it checks nothing else; see `/readyz`).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthResponse)))]
async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
    })
}

/// Whether this process can do its work now: Redis answers and has the JSON
/// module; the SMTP server greets us (API and worker roles, which send
/// mail). Each check waits at most 2 s.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Every check passed (`status` is `ready`)", body = ReadyResponse),
        (status = 503, description = "A check failed (`status` is `not_ready`); its `detail` says why", body = ReadyResponse),
    ))]
async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<ReadyResponse>) {
    let secrets = secrets_of(&app);
    let redis = check("redis", &secrets, app.store.check_json_module());
    let mut checks = vec![];
    if app.roles.api || app.roles.worker {
        let (redis, smtp) = tokio::join!(redis, check("smtp", &secrets, app.mailer.check()));
        checks.extend([redis, smtp]);
    } else {
        checks.push(redis.await);
    }
    let ready = checks.iter().all(|c| c.ok);
    let (code, status) = match ready {
        true => (StatusCode::OK, "ready"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
    };
    let body = ReadyResponse {
        status: status.into(),
        checks,
    };
    (code, Json(body))
}

/// Runs one check within `CHECK_TIMEOUT`; a failure's detail names what
/// failed, never the underlying error or `secrets` (the log has the error).
async fn check<E: Display>(
    name: &str,
    secrets: &[String],
    probe: impl Future<Output = Result<(), E>>,
) -> ReadyCheck {
    let detail = match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            let why = scrub(&e.to_string(), secrets);
            tracing::warn!(check = name, reason = %why, "not ready");
            Some(headline(&why).to_owned())
        }
        Err(_) => {
            let why = format!("no answer within {} s", CHECK_TIMEOUT.as_secs());
            tracing::warn!(check = name, reason = %why, "not ready");
            Some(why)
        }
    };
    ReadyCheck {
        name: name.into(),
        ok: detail.is_none(),
        detail,
    }
}

/// The configured values that could hold a credential: the URLs and passwords.
fn secrets_of(app: &AppState) -> Vec<String> {
    let s = &app.settings;
    let mut secrets = vec![
        s.redis_url.expose().to_owned(),
        s.smtp_url.expose().to_owned(),
    ];
    secrets.extend(s.smtp_password.as_ref().map(|p| p.expose().to_owned()));
    for url in [s.redis_url.expose(), s.smtp_url.expose()] {
        if let Ok(url) = url::Url::parse(url) {
            secrets.extend(url.password().map(str::to_owned));
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// What failed, without the underlying error's text ("cannot reach Redis",
/// not "...: broken pipe"): a 503 body carries no internal detail; the log has it.
fn headline(text: &str) -> &str {
    text.split(": ").next().unwrap_or(text)
}

/// `text` with every occurrence of each secret replaced.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "[redacted]"))
}

/// Counters and histograms of this process, and the queue and budget figures
/// read from Redis at scrape time (left out, with `redis_hack_redis_up 0`,
/// when Redis does not answer within 2 s).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    security((), ("operator_key" = [])),
    responses(
        (status = 200, description = "Prometheus text format 0.0.4",
            content_type = "text/plain; version=0.0.4; charset=utf-8", body = String),
        (status = 401, description = "The server has an OPERATOR_KEY and the request did not show it", body = ErrorBody),
    ))]
async fn metrics(State(app): State<AppState>, _: Operator) -> Result<impl IntoResponse, ApiError> {
    let budget = app.settings.poll.budget;
    let body = crate::metrics::render(&app.store, budget.calls, budget.window)
        .await
        .map_err(|e| anyhow::anyhow!("encoding the metrics: {e}"))?;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_detail_never_shows_a_configured_secret() {
        let secrets = vec!["redis://:hunter2@db:6379".to_owned(), "hunter2".to_owned()];
        let detail = scrub(
            "cannot reach redis://:hunter2@db:6379 (auth hunter2)",
            &secrets,
        );
        assert_eq!(detail, "cannot reach [redacted] (auth [redacted])");
    }

    #[test]
    fn a_failure_detail_names_what_failed_not_the_underlying_error() {
        assert_eq!(
            headline("cannot reach Redis: broken pipe"),
            "cannot reach Redis"
        );
        assert_eq!(
            headline("cannot reach the SMTP server: Connection refused (os error 111)"),
            "cannot reach the SMTP server"
        );
        assert_eq!(headline("no answer within 2 s"), "no answer within 2 s");
    }
}
