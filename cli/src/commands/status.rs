//! `redis-hack status`: which server this machine talks to, whether it answers
//! (`GET /healthz`) and is ready (`GET /readyz`; a server without it, a 404,
//! leaves readiness unknown rather than failing), who is signed in here and
//! whether the server still accepts that token (`GET /v1/subscriptions`).
//! Exits 1 only when the server cannot be reached, naming it; a short connect
//! timeout keeps that quick.

use super::sign_in_commands;
use crate::address::same_server;
use crate::client::{ApiClient, ClientError, Conditional, Readiness};
use crate::config::Credentials;
use crate::failure::{self, Failure};
use crate::prompt::waiting;
use crate::style::{bad, bold, good};
use crate::{Context, output};
use redis_hack_shared::{EmailSuspension, ErrorDetail, ReadyCheck};
use reqwest::StatusCode;
use serde::Serialize;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Show the server, whether it is reachable and ready, and who is signed in.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// What `status` found; the `--json` document.
#[derive(Debug, Serialize)]
struct Report {
    server: String,
    reachable: bool,
    /// Why it is not reachable: `{code, message}` as every `--json` error.
    error: Option<ErrorDetail>,
    readiness: Ready,
    session: Session,
}

#[derive(Debug, Serialize)]
struct Ready {
    /// `ready`, `not_ready`, or `unknown` (not reachable, or no `/readyz`).
    status: String,
    checks: Vec<ReadyCheck>,
    /// Why it is unknown.
    detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct Session {
    /// The signed-in address, if anyone is signed in on this machine.
    email: Option<String>,
    /// The server that address signed in to.
    server: Option<String>,
    token: Token,
    /// Why the token could not be checked.
    detail: Option<String>,
    /// Set while the server suspends alert emails to the address (a 5xx from its mail server).
    #[serde(skip_serializing_if = "Option::is_none")]
    email_suspended: Option<EmailSuspension>,
}

/// What the server thinks of the saved token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Token {
    /// Nobody is signed in on this machine.
    None,
    Valid,
    /// 401: expired or revoked.
    Rejected,
    /// It belongs to another server.
    OtherServer,
    /// Not asked (the server is unreachable), or the answer was no yes or no.
    Unchecked,
}

pub async fn run(ctx: &Context, _args: Args) -> anyhow::Result<()> {
    let client = ApiClient::with_timeouts(&ctx.server, CONNECT_TIMEOUT, REQUEST_TIMEOUT)?;
    let creds = ctx.paths.load_credentials()?;
    let report = waiting(
        ctx,
        "Checking…",
        check(&client, &ctx.server, creds.as_ref()),
    )
    .await;
    if ctx.json {
        output::json(&report)?;
    } else {
        output::line(&render(&report, ctx));
    }
    match report.error {
        Some(error) => Err(Failure {
            reported: ctx.json,
            ..Failure::new(&error.code, error.message)
        }
        .into()),
        None => Ok(()),
    }
}

async fn check(client: &ApiClient, server: &str, creds: Option<&Credentials>) -> Report {
    let mut report = Report {
        server: server.to_owned(),
        reachable: false,
        error: None,
        readiness: Ready {
            status: "unknown".into(),
            checks: Vec::new(),
            detail: Some("not checked".into()),
        },
        session: Session {
            email: creds.map(|c| c.email.clone()),
            server: creds.map(|c| c.server.clone()),
            token: match creds {
                None => Token::None,
                Some(c) if !same_server(&c.server, server) => Token::OtherServer,
                Some(_) => Token::Unchecked,
            },
            detail: None,
            email_suspended: None,
        },
    };
    if let Err(e) = client.health().await {
        report.error = Some(health_error(e, server));
        return report;
    }
    report.reachable = true;
    let session = creds.filter(|_| report.session.token == Token::Unchecked);
    let (readiness, token) = tokio::join!(client.readiness(), token(client, session));
    report.readiness = match readiness {
        Ok(Readiness::Answered(r)) => Ready {
            status: r.status,
            checks: r.checks,
            detail: None,
        },
        Ok(Readiness::Unknown) => Ready {
            status: "unknown".into(),
            checks: Vec::new(),
            detail: Some("this server has no GET /readyz".into()),
        },
        Err(e) => Ready {
            status: "unknown".into(),
            checks: Vec::new(),
            detail: Some(e.to_string()),
        },
    };
    if let Some((token, detail, suspended)) = token {
        (report.session.token, report.session.detail) = (token, detail);
        report.session.email_suspended = suspended;
    }
    report
}

/// Why `GET /healthz` failed, as every `--json` error reads.
fn health_error(e: ClientError, server: &str) -> ErrorDetail {
    let (code, message) = match e {
        ClientError::Unreachable { .. } => (failure::UNREACHABLE, e.to_string()),
        e => (
            failure::UNEXPECTED_ANSWER,
            format!("the server at {server} did not answer GET /healthz as redis-hack does: {e}"),
        ),
    };
    ErrorDetail {
        code: code.into(),
        message,
        suggestions: Vec::new(),
    }
}

/// Asks the server about the token, if there is one for this server, and
/// learns from the same answer whether alert emails are suspended.
async fn token(
    client: &ApiClient,
    creds: Option<&Credentials>,
) -> Option<(Token, Option<String>, Option<EmailSuspension>)> {
    let creds = creds?;
    Some(match client.list(&creds.token, None).await {
        Ok(Conditional::Fresh { response, .. }) => (Token::Valid, None, response.email_suspended),
        Ok(Conditional::NotModified) => (Token::Valid, None, None),
        Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => (Token::Rejected, None, None),
        Err(e) => (Token::Unchecked, Some(e.to_string()), None),
    })
}

fn render(r: &Report, ctx: &Context) -> String {
    let label = |l: &str| bold(&format!("{l:<10}"));
    let server = if r.reachable {
        format!("{} ({})", r.server, good("reachable"))
    } else {
        format!("{} ({})", r.server, bad("not reachable"))
    };
    let ready = match (r.readiness.status.as_str(), &r.readiness.detail) {
        ("ready", _) => format!("{} ({})", good("yes"), checks(&r.readiness.checks)),
        ("not_ready", _) => format!("{}: {}", bad("no"), checks(&r.readiness.checks)),
        (other, Some(detail)) => format!("{other} ({detail})"),
        (other, None) => other.to_owned(),
    };
    [
        format!("{} {server}", label("Server:")),
        format!("{} {ready}", label("Ready:")),
        format!("{} {}", label("Signed in:"), session(&r.session, ctx)),
    ]
    .join("\n")
}

/// `redis ok, smtp failing (connection refused)`.
fn checks(checks: &[ReadyCheck]) -> String {
    let each: Vec<String> = checks
        .iter()
        .map(|c| match (c.ok, &c.detail) {
            (true, _) => format!("{} ok", c.name),
            (false, Some(d)) => format!("{} {} ({d})", c.name, bad("failing")),
            (false, None) => format!("{} {}", c.name, bad("failing")),
        })
        .collect();
    if each.is_empty() {
        "no checks reported".into()
    } else {
        each.join(", ")
    }
}

fn session(s: &Session, ctx: &Context) -> String {
    let email = s.email.as_deref().unwrap_or_default();
    let other = s.server.as_deref().unwrap_or_default();
    match s.token {
        Token::None => format!("nobody; sign in with: {}", sign_in_commands(ctx, None)),
        Token::Valid => match &s.email_suspended {
            None => format!("{email} ({})", good("token accepted")),
            Some(suspended) => format!(
                "{email} ({}); {}",
                good("token accepted"),
                bad(&crate::describe::suspension(suspended))
            ),
        },
        Token::Rejected => format!(
            "{email}, but {} (it expired or was revoked); sign in again with: {}",
            bad("the server no longer accepts the token"),
            sign_in_commands(ctx, Some(email))
        ),
        Token::OtherServer => format!(
            "{email} on {other}, not on this server; pass --server {other}, or sign in here with: {}",
            sign_in_commands(ctx, Some(email))
        ),
        Token::Unchecked => format!(
            "{email} (token not checked: {})",
            s.detail.as_deref().unwrap_or("the server is not reachable")
        ),
    }
}
