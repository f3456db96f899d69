//! The live feed from the client's side: `GET /v1/events` held open and
//! read as Server-Sent Events. `Sse` turns the bytes into messages (the
//! `id:`, `event:` and `data:` fields; comments are the keep-alives and are
//! skipped); `EventStream` reads the response chunk by chunk. A stream that
//! hears nothing, not even a keep-alive, for [`READ_TIMEOUT`] counts as lost.

use super::error::{failure, root_cause};
use super::{ApiClient, ClientError};
use reqwest::header;
use std::collections::VecDeque;
use std::time::Duration;

/// Three missed keep-alives (the server sends one every 15 s).
pub const READ_TIMEOUT: Duration = Duration::from_secs(45);

/// One message of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    /// The last `id:` the stream named (it carries over to later messages).
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// An open `GET /v1/events`.
pub struct EventStream {
    response: reqwest::Response,
    sse: Sse,
    url: String,
}

impl ApiClient {
    /// Opens the live feed, resuming after `last_id` when given. Errors are
    /// as every request's: a 401, a 400 for an id the feed no longer has, or
    /// the server out of reach.
    pub async fn events(
        &self,
        token: &str,
        last_id: Option<&str>,
    ) -> Result<EventStream, ClientError> {
        let url = format!("{}/v1/events", self.base);
        let unreachable = |e: &reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            reason: root_cause(e),
        };
        // Its own client: no limit on the whole answer, which never ends.
        let http = reqwest::Client::builder()
            .user_agent(concat!("redis-hack/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| unreachable(&e))?;
        let mut req = http
            .get(&url)
            .bearer_auth(token)
            .header(header::ACCEPT, "text/event-stream");
        if let Some(id) = last_id {
            req = req.header("Last-Event-ID", id);
        }
        let response = req.send().await.map_err(|e| unreachable(&e))?;
        if !response.status().is_success() {
            return Err(failure(response).await);
        }
        Ok(EventStream {
            response,
            sse: Sse::default(),
            url: self.base.clone(),
        })
    }
}

impl EventStream {
    /// The next message; `Ok(None)` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<SseMessage>, ClientError> {
        loop {
            if let Some(message) = self.sse.messages.pop_front() {
                return Ok(Some(message));
            }
            let chunk = self
                .response
                .chunk()
                .await
                .map_err(|e| ClientError::Unreachable {
                    url: self.url.clone(),
                    reason: format!("the live feed was cut off: {}", root_cause(&e)),
                })?;
            match chunk {
                Some(bytes) => self.sse.feed(&bytes),
                None => return Ok(None),
            }
        }
    }
}

/// The SSE parser: bytes in, complete messages out (the format of the
/// WHATWG HTML standard, section 9.2.6, without `retry:`).
#[derive(Debug, Default)]
pub struct Sse {
    partial: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Vec<String>,
    pub messages: VecDeque<SseMessage>,
}

impl Sse {
    /// Takes the next bytes; whole lines are parsed, the rest waits.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&raw);
            self.line(text.trim_end_matches(['\n', '\r']));
        }
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            if !self.data.is_empty() {
                self.messages.push_back(SseMessage {
                    id: self.id.clone(),
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data).join("\n"),
                });
            }
            self.event = None;
            return;
        }
        if line.starts_with(':') {
            return; // a comment: the keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_parsed_across_chunks_with_comments_skipped() {
        let mut sse = Sse::default();
        sse.feed(b": keep-alive\n\nid: 1-0\nevent: slots.opened\nda");
        assert!(sse.messages.is_empty());
        sse.feed(b"ta: {\"a\":1}\r\n\r\n:\n\ndata: x\ndata: y\n\n");
        let got: Vec<SseMessage> = sse.messages.drain(..).collect();
        assert_eq!(
            got,
            vec![
                SseMessage {
                    id: Some("1-0".into()),
                    event: Some("slots.opened".into()),
                    data: "{\"a\":1}".into()
                },
                SseMessage {
                    id: Some("1-0".into()),
                    event: None,
                    data: "x\ny".into()
                },
            ]
        );
    }

    #[test]
    fn a_character_split_between_chunks_survives() {
        let mut sse = Sse::default();
        let text = "data: Pātna\n\n".as_bytes();
        sse.feed(&text[..8]);
        sse.feed(&text[8..]);
        assert_eq!(sse.messages.pop_front().unwrap().data, "Pātna");
    }
}
