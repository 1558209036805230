//! The change feed over HTTP (see [`hub_core::feed`]): `GET
//! /api/v1/changes?after=ID` pages through it, and `GET
//! /api/v1/changes/stream` pushes it as server-sent events (`id:` the feed
//! id, `event:` its name, `data:` its JSON), resuming after the
//! `Last-Event-ID` header (or `?after=`) a client sends when it
//! reconnects. Events are pushed once their group is durable, within a
//! flush of the change. A stream first sends what the store holds after
//! the id it was given, then what the bus brings; a stream that falls
//! behind the bus reads the store again, so it never skips an event the
//! store still holds. It ends when the hub stops.
//!
//! `GET /api/v1/fleet` (the fleet table) lives here too: it is the state
//! the `device` events change.

use super::error::{limit, strict_u64};
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::feed::FeedBus;
use crate::store::Store;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use hub_core::feed::{device_json, event_json, FeedEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// Events read from the store per step of a catch-up.
const CATCH_UP_STEP: usize = 500;
/// Events a stream's connection may have in hand before its reader waits.
const STREAM_BUFFER: usize = 1_024;
/// How often an idle stream sends a comment, so proxies and clients see
/// it alive.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/changes", get(page))
        .route("/api/v1/changes/stream", get(stream))
        .route("/api/v1/fleet", get(fleet))
}

fn after_of(raw: Option<&str>, what: &str) -> Result<u64, ApiError> {
    match raw {
        None => Ok(0),
        Some(raw) => strict_u64(raw.trim()).ok_or_else(|| {
            ApiError::invalid(format!(
                "{what} must be a feed id (an integer), got {raw:?}"
            ))
        }),
    }
}

/// The change feed, oldest first, after a feed id
///
/// Role: viewer. The newest 100,000 events are kept.
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    operation_id = "listChanges",
    tag = "fleet",
    params(
        ("after" = inline(Option<schema::IdParam>), Query, description = "Only events after this feed id (default 0)."),
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "A page of events.", body = schema::FeedPage, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn page(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let after = after_of(query.get("after").map(String::as_str), "after")?;
    let limit = limit(query.get("limit"))?;
    let events = state.store.feed_after(after, limit)?;
    let last = events.last().map_or(after, |(id, _)| *id);
    let items: Vec<Value> = events.iter().map(|(id, e)| event_json(*id, e)).collect();
    Ok(Json(json!({"items": items, "next_after": last,
                   "next_id": state.store.next_feed_id()?})))
}

/// The change feed pushed as server-sent events
///
/// Role: viewer. Each event: id (the feed id), event (its name), data (its JSON
/// object, as FeedEvent.data describes). Resumes after the Last-Event-ID header
/// (or after=). A comment every 10 s keeps it alive.
#[utoipa::path(
    get,
    path = "/api/v1/changes/stream",
    operation_id = "streamChanges",
    tag = "fleet",
    params(
        ("after" = inline(Option<schema::IdParam>), Query, description = "Start after this feed id when no Last-Event-ID is sent."),
        ("Last-Event-ID" = inline(Option<schema::IdParam>), Header, description = "The last feed id the client saw."),
    ),
    responses(
        (status = 200, description = "An endless stream of events.", body = inline(schema::StreamChangesAnswer200), content_type = "text/event-stream"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("not text"));
    // Both are checked (a malformed `after` is a 400 even beside a
    // Last-Event-ID); the header, a reconnecting client's, wins.
    let from_query = after_of(query.get("after").map(String::as_str), "after")?;
    let after = match header {
        Some(h) => after_of(Some(h), "Last-Event-ID")?,
        None => from_query,
    };
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let pump = Pump {
        store: state.store.clone(),
        bus: state.feed.clone(),
        cancel: state.cancel.clone(),
        tx,
    };
    tokio::spawn(pump.run(after));
    let sse = Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE));
    Ok(axum::response::IntoResponse::into_response(sse))
}

/// Feeds one stream: the store's events after its id, then the bus's.
struct Pump {
    store: Store,
    bus: FeedBus,
    cancel: CancellationToken,
    tx: mpsc::Sender<Result<Event, Infallible>>,
}

impl Pump {
    async fn run(self, mut last: u64) {
        // Listen before reading the store: nothing falls between the two.
        let mut bus = self.bus.listen();
        if !self.catch_up(&mut last).await {
            return;
        }
        loop {
            let group = tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = self.tx.closed() => return,
                group = bus.recv() => group,
            };
            let sent = match group {
                Ok(group) => self.send_all(group.iter(), &mut last).await,
                Err(RecvError::Lagged(_)) => self.catch_up(&mut last).await,
                Err(RecvError::Closed) => false,
            };
            if !sent {
                return;
            }
        }
    }

    /// Sends the store's events after `last`; false once the client or
    /// the store is gone.
    async fn catch_up(&self, last: &mut u64) -> bool {
        loop {
            let events = match self.store.feed_after(*last, CATCH_UP_STEP) {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(error = %e, "change stream could not read the feed");
                    return false;
                }
            };
            if events.is_empty() {
                return true;
            }
            if !self.send_all(events.iter(), last).await {
                return false;
            }
        }
    }

    async fn send_all<'a>(
        &self,
        events: impl Iterator<Item = &'a (u64, FeedEvent)>,
        last: &mut u64,
    ) -> bool {
        for (id, e) in events {
            if *id <= *last {
                continue;
            }
            let event = Event::default()
                .id(id.to_string())
                .event(e.event.clone())
                .data(e.data.clone());
            if self.tx.send(Ok(event)).await.is_err() {
                return false;
            }
            *last = *id;
        }
        true
    }
}

/// The fleet table: every device that sent a heartbeat, online or offline and
/// since when
///
/// Role: viewer. Offline comes from a device's last will or from silence past
/// 1.5 heartbeat intervals.
#[utoipa::path(
    get,
    path = "/api/v1/fleet",
    operation_id = "listFleet",
    tag = "fleet",
    responses(
        (status = 200, description = "The rows, by device.", body = schema::FleetList, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn fleet(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<Value> = state
        .store
        .fleet()?
        .iter()
        .map(|(device, row)| device_json(device, row))
        .collect();
    Ok(list_body(items))
}
