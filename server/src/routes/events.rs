//! `GET /v1/events` (bearer): the live feed, a Server-Sent Events stream of
//! the user's own `slots.opened` / `slots.closed` events as they are stored
//! in `{p}feed:{uid}`. Each event's `id:` is its stream id; a client that
//! reconnects with `Last-Event-ID` gets every event after it (the feed keeps
//! 25 h), one without it only what happens from now on. The stream reads
//! Redis only (a short poll of the user's stream: no upstream call, no
//! blocking command on the shared connection), sends a keep-alive comment
//! every [`KEEP_ALIVE`] and ends when the server begins shutting down.

use crate::error::ApiError;
use crate::extract::AuthUser;
use crate::state::AppState;
use crate::store::{Store, is_feed_id};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use redis_hack_shared::{ErrorBody, FeedEvent, UserId};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;
use utoipa_axum::{router::OpenApiRouter, routes};

/// How often an open stream looks for new events in Redis.
pub const FEED_POLL: Duration = Duration::from_millis(500);
/// How often a quiet stream sends a comment, so proxies and clients know it is alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The most events read from Redis in one step.
const BATCH: usize = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// The request header a reconnecting client sends, for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: the handler reads the header
struct Resume {
    /// The `id:` of the last event received: the stream starts after it.
    #[param(rename = "Last-Event-ID")]
    last_event_id: Option<String>,
}

/// The live feed: the user's alerts as Server-Sent Events, resumable with `Last-Event-ID`.
#[utoipa::path(get, path = "/events", tag = "subscriptions",
    security(("user_token" = [])),
    params(Resume),
    responses(
        (status = 200, description = "A never-ending `text/event-stream`: each event has \
            `id:` (send it back as `Last-Event-ID` to resume without loss for at least 24 h), \
            `event:` (`slots.opened` or `slots.closed`) and `data:` (one FeedEvent as JSON); \
            a comment line every 15 s keeps the connection alive. Without `Last-Event-ID` it \
            starts with the next event. It costs no upstream call.",
            content_type = "text/event-stream", body = FeedEvent),
        (status = 400, description = "Last-Event-ID is not an id of this user's feed \
            (malformed, someone else's, or older than the feed keeps)", body = ErrorBody),
        super::errors::AuthErrors,
        super::errors::StorageErrors,
    ))]
#[tracing::instrument(skip_all, fields(uid = %user.uid))]
async fn events(
    State(app): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = match headers.get("last-event-id") {
        Some(raw) => Some(resume_point(&app.store, &user.uid, raw.to_str().ok()).await?),
        None => app.store.feed_last_id(&user.uid).await?,
    };
    let feed = Feed {
        store: app.store.clone(),
        uid: user.uid,
        after,
        pending: VecDeque::new(),
        stopping: app.stopping.clone(),
    };
    let stream = stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The id a reconnecting client resumes after: well-formed and still in its feed.
async fn resume_point(store: &Store, uid: &UserId, raw: Option<&str>) -> Result<String, ApiError> {
    let id = raw.map(str::trim).unwrap_or_default();
    if !is_feed_id(id) {
        let shown: String = id.chars().take(40).collect();
        return Err(ApiError::bad_request(
            "invalid_last_event_id",
            format!(
                "Last-Event-ID '{shown}' is not an event id; send the id: of the last event received, like 1733112345678-0"
            ),
        ));
    }
    if !store.feed_has(uid, id).await? {
        return Err(ApiError::bad_request(
            "unknown_last_event_id",
            format!(
                "Last-Event-ID {id} is not in your feed (it is someone else's, or older than the 24 h the feed keeps); reconnect without it to get new events"
            ),
        ));
    }
    Ok(id.to_owned())
}

/// One open stream: where it is in the user's feed and what it read but has not sent.
struct Feed {
    store: Store,
    uid: UserId,
    after: Option<String>,
    pending: VecDeque<FeedEvent>,
    stopping: watch::Receiver<bool>,
}

impl Feed {
    /// The next event to send; `None` ends the stream (shutdown, or Redis
    /// failing: the client reconnects with its last id and loses nothing).
    /// An entry this version cannot read is logged and passed over.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if *self.stopping.borrow() {
                return None;
            }
            if let Some(event) = self.pending.pop_front() {
                return Some(sse_event(&event));
            }
            match self
                .store
                .read_feed_page(&self.uid, self.after.as_deref(), BATCH)
                .await
            {
                Ok(page) if page.last.is_some() => {
                    for (id, error) in &page.skipped {
                        tracing::warn!(id, %error, "skipping a feed entry this version cannot read");
                    }
                    self.after = page.last;
                    self.pending.extend(page.events);
                }
                Ok(_) => {
                    tokio::select! {
                        () = tokio::time::sleep(FEED_POLL) => {}
                        _ = self.stopping.wait_for(|s| *s) => return None,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the live feed cannot read Redis; ending the stream");
                    return None;
                }
            }
        }
    }
}

fn sse_event(event: &FeedEvent) -> Event {
    // A FeedEvent always serialises; an empty object keeps the id moving if not.
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Event::default()
        .id(event.id.clone())
        .event(event.kind.as_str())
        .data(data)
}
