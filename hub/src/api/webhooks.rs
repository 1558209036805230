//! `/api/v1/webhooks` (issue 17, item 5): the change feed pushed to URLs
//! an operator registers ([`crate::webhooks`] has the rules: what is sent,
//! signed how, retried how, kept in which order). Every route is the
//! operator's: the list shows where the hub's data goes, and the dead
//! letters what did not get there.

use super::error::{id, limit};
use super::openapi::schema;
use super::{list_body, ApiError, ApiJson, AppState};
use crate::webhooks::handle::Listed;
use crate::webhooks::store::DeadLetter;
use crate::webhooks::{HookError, Registration};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(register))
        .route("/api/v1/webhooks/{id}", delete(remove))
        .route("/api/v1/webhooks/{id}/dead-letters", get(dead_letters))
        .route(
            "/api/v1/webhooks/{id}/dead-letters/{event}/redeliver",
            post(redeliver),
        )
}

impl From<HookError> for ApiError {
    fn from(e: HookError) -> ApiError {
        let message = e.to_string();
        match e {
            HookError::BadUrl(_)
            | HookError::BadEvent(_)
            | HookError::BadSecret
            | HookError::BadAttempts(_) => ApiError::BadRequest {
                code: "invalid_webhook",
                message,
            },
            HookError::TooMany => ApiError::Conflict {
                code: "too_many_webhooks",
                message,
                shortfall: Vec::new(),
            },
            HookError::UnknownHook(_) => ApiError::NotFound {
                code: "unknown_webhook",
                message,
            },
            HookError::UnknownLetter { .. } => ApiError::NotFound {
                code: "unknown_dead_letter",
                message,
            },
            HookError::Delivery(_) => ApiError::Refused {
                status: StatusCode::BAD_GATEWAY,
                code: "webhook_failed",
                message,
            },
            HookError::Random(_) => ApiError::Unavailable(message),
            HookError::Store(e) => ApiError::Store(e),
        }
    }
}

/// Register a webhook: the change feed pushed to a URL
///
/// Role: operator. The hook gets every event committed from now on whose name
/// is in `events` (absent or empty: all), one POST per event in feed order,
/// body `{"id", "event", "at_ms", "data"}` (a FeedEvent with its id), headers
/// `Content-Type: application/json`, `X-Wms-Event-Id` (the feed id) and
/// `X-Wms-Signature: sha256=HEX` (lower-case hex HMAC-SHA256 of the body's
/// bytes under the secret's UTF-8 bytes). A 2xx answer within 10 s delivers it;
/// anything else is retried after 1 s, doubling to 5 min at most, the later
/// events waiting; after `max_attempts` failed attempts the event goes to the
/// hook's dead letters and the next one is sent. At least once: after a restart
/// of the hub an event may come again, so receivers dedupe by `X-Wms-Event-Id`.
/// `http://` only (this hub is built without TLS: an `https://` URL is a 400).
/// The secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "registerWebhook",
    tag = "webhooks",
    request_body(content = crate::webhooks::Registration, content_type = "application/json", example = json!({"url": "http://shop.example:8080/wms-hook", "events": ["stock", "order"], "secret": "a-shared-secret-of-16-or-more", "max_attempts": 10})),
    responses(
        (status = 201, description = "Registered; the secret is shown this once.", body = Created, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 409, response = schema::Conflict),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 500, response = schema::StoreFailure),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let hooks = state.webhooks.clone();
    let hook = tokio::task::spawn_blocking(move || hooks.register(body))
        .await
        .map_err(|_| ApiError::Unavailable("the registration stopped".into()))??;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: hook.id,
            url: hook.url,
            events: hook.events,
            max_attempts: hook.max_attempts,
            created_ms: hook.created_ms,
            secret: hook.secret,
        }),
    ))
}

fn listed_json(l: Listed) -> HookRow {
    HookRow {
        id: l.hook.id,
        url: l.hook.url,
        events: l.hook.events,
        max_attempts: l.hook.max_attempts,
        created_ms: l.hook.created_ms,
        delivered_through: l.cursor,
        dead_letters: l.dead_letters,
        attempts: l.progress.attempts,
        last_error: l.progress.last_error,
        next_at_ms: l.progress.next_at_ms,
    }
}

/// The registered webhooks and how their delivery goes (never their secrets)
///
/// Role: operator (it shows where the hub's data goes). `delivered_through`:
/// the feed id the hook has delivered (or dead-lettered) through; `attempts`,
/// `last_error`, `next_at_ms`: the failed attempts at its current event and
/// when it is tried again (0: not waiting).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "listWebhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "Every hook, by id.", body = super::Items<HookRow>, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<HookRow> = state
        .webhooks
        .list()?
        .into_iter()
        .map(listed_json)
        .collect();
    Ok(list_body(items))
}

/// Remove a webhook and its dead letters
///
/// Role: operator. A request already on its way may still arrive.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "webhooks",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "Removed.", body = Deleted, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let hook = id(&raw, "webhook")?;
    let hooks = state.webhooks.clone();
    tokio::task::spawn_blocking(move || hooks.remove(hook))
        .await
        .map_err(|_| ApiError::Unavailable("the removal stopped".into()))??;
    Ok(Json(Deleted {
        id: hook,
        deleted: true,
    }))
}

fn letter_json(l: DeadLetter) -> LetterRow {
    let data: Value = serde_json::from_str(&l.data).unwrap_or(Value::Null);
    LetterRow {
        event_id: l.event_id,
        event: l.event,
        at_ms: l.at_ms,
        data,
        attempts: l.attempts,
        last_error: l.last_error,
        failed_ms: l.failed_ms,
    }
}

/// The events a webhook's receiver did not take
///
/// Role: operator. Oldest event first; each hook keeps its newest 10,000.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/dead-letters",
    operation_id = "listWebhookDeadLetters",
    tag = "webhooks",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "The dead letters.", body = super::Items<LetterRow>, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn dead_letters(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let hook = id(&raw, "webhook")?;
    let limit = limit(query.get("limit"))?;
    let items: Vec<LetterRow> = state
        .webhooks
        .dead_letters(hook, limit)?
        .into_iter()
        .map(letter_json)
        .collect();
    Ok(list_body(items))
}

/// Send a dead letter again now
///
/// Role: operator. One request, now, signed as any other; it arrives after
/// later events (receivers order by the feed id if order matters). Taken (2xx):
/// removed from the dead letters, 200. Not taken: kept with the failure, 502
/// `webhook_failed`.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/dead-letters/{event}/redeliver",
    operation_id = "redeliverWebhookDeadLetter",
    tag = "webhooks",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
        ("event" = inline(schema::EventParam), Path, description = "The dead letter's feed id (digits only)."),
    ),
    responses(
        (status = 200, description = "The receiver took it.", body = Redelivered, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
        (status = 502, response = schema::BadGateway),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn redeliver(
    State(state): State<AppState>,
    Path((raw_hook, raw_event)): Path<(String, String)>,
) -> Result<Json<Redelivered>, ApiError> {
    let hook = id(&raw_hook, "webhook")?;
    let event = id(&raw_event, "event")?;
    state.webhooks.redeliver(hook, event).await?;
    Ok(Json(Redelivered {
        hook,
        event_id: event,
        delivered: true,
    }))
}

/// The answer of a removal: the hook, and `deleted`, always true.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Deleted {
    id: u64,
    deleted: bool,
}

/// The answer of a redelivery the receiver took: `delivered`, always true.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Redelivered {
    hook: u64,
    event_id: u64,
    delivered: bool,
}

/// A registered hook, with its secret: shown this once.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = WebhookCreated)]
struct Created {
    id: u64,
    url: String,
    /// Empty: all.
    #[schema(value_type = Vec<schema::FeedEventName>)]
    events: Vec<String>,
    max_attempts: u32,
    created_ms: u64,
    /// Shown this once.
    secret: String,
}

/// A hook as listed: how its delivery goes, never its secret.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct HookRow {
    id: u64,
    url: String,
    #[schema(value_type = Vec<schema::FeedEventName>)]
    events: Vec<String>,
    max_attempts: u32,
    created_ms: u64,
    delivered_through: u64,
    dead_letters: usize,
    attempts: u32,
    last_error: Option<String>,
    next_at_ms: u64,
}

/// An event the hook's receiver never took.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct LetterRow {
    event_id: u64,
    #[schema(value_type = schema::FeedEventName)]
    event: String,
    at_ms: u64,
    /// The event's data, as it would have been sent.
    #[schema(value_type = Object)]
    data: Value,
    attempts: u32,
    last_error: String,
    failed_ms: u64,
}
