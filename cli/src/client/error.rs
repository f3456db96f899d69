//! `ClientError`: why a request did not give the expected answer, as one
//! sentence. A server's error body keeps its code; its suggestions and
//! `Retry-After` are added to the message only when it does not say them.

use redis_hack_shared::ErrorBody;
use reqwest::{StatusCode, header};
use serde::de::DeserializeOwned;

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
    #[error("the server answered {status} in a way redis-hack does not understand ({text})")]
    Unexpected { status: StatusCode, text: String },
}

/// The server's message as one sentence: its suggestions and `Retry-After`
/// are added only when the message does not already say them.
pub(super) fn api_message(body: &ErrorBody, retry_after: &Option<u64>) -> String {
    let mut message = one_line(&body.error.message)
        .trim_end_matches('.')
        .to_owned();
    let suggestions = &body.error.suggestions;
    if !suggestions.is_empty() && !suggestions.iter().any(|s| message.contains(s.as_str())) {
        message.push_str(&format!("; did you mean {}?", or_list(suggestions)));
    }
    if let Some(secs) = retry_after
        && !message.contains("try again")
    {
        let unit = if *secs == 1 { "second" } else { "seconds" };
        message.push_str(&format!("; try again in {secs} {unit}"));
    }
    message
}

/// `A`, `A or B`, `A, B or C`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Text on one line, runs of whitespace (newlines too) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// The error an unwanted answer stands for: the server's explanation when it sent one.
pub(super) async fn failure(response: reqwest::Response) -> ClientError {
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
            text: one_line(&text).chars().take(200).collect(),
        },
    }
}

pub(super) async fn json<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ClientError> {
    let status = response.status();
    let text = response.text().await.map_err(|e| ClientError::Unexpected {
        status,
        text: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ClientError::Unexpected {
        status,
        text: e.to_string(),
    })
}

/// The innermost error message ("Connection refused", "dns error", ...).
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: &str, message: &str, suggestions: &[&str]) -> ErrorBody {
        let mut body = ErrorBody::new(code, message);
        body.error.suggestions = suggestions.iter().map(|s| s.to_string()).collect();
        body
    }

    #[test]
    fn every_server_error_reads_as_one_sentence_saying_each_thing_once() {
        let cases = [
            (
                body(
                    "rate_limited",
                    "too many requests; try again in 38 seconds",
                    &[],
                ),
                Some(38),
                "too many requests; try again in 38 seconds",
            ),
            (
                body("rate_limited", "too many requests", &[]),
                Some(1),
                "too many requests; try again in 1 second",
            ),
            (
                body(
                    "unknown_district",
                    "there is no district named 'Patan' in Bihar; closest matches: Patna, Gaya",
                    &["Patna", "Gaya"],
                ),
                None,
                "there is no district named 'Patan' in Bihar; closest matches: Patna, Gaya",
            ),
            (
                body(
                    "unknown_state",
                    "no state is named 'Bihr'",
                    &["Bihar", "Goa"],
                ),
                None,
                "no state is named 'Bihr'; did you mean Bihar or Goa?",
            ),
            (
                body("wrong_code", "the code is wrong; 1 try left.", &[]),
                None,
                "the code is wrong; 1 try left",
            ),
            (
                body("invalid_body", "line one\n  line two", &[]),
                None,
                "line one line two",
            ),
        ];
        for (body, retry_after, says) in cases {
            assert_eq!(api_message(&body, &retry_after), says);
        }
    }
}
