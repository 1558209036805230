//! `/api/v1/webhooks` (issue 17, item 5): the change feed pushed to URLs
//! an operator registers ([`crate::webhooks`] has the rules: what is sent,
//! signed how, retried how, kept in which order). Every route is the
//! operator's: the list shows where the hub's data goes, and the dead
//! letters what did not get there.

use super::error::{id, limit};
use super::{list_body, ApiError, ApiJson, AppState};
use crate::webhooks::handle::Listed;
use crate::webhooks::store::DeadLetter;
use crate::webhooks::{HookError, Registration};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
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

async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let hooks = state.webhooks.clone();
    let hook = tokio::task::spawn_blocking(move || hooks.register(body))
        .await
        .map_err(|_| ApiError::Unavailable("the registration stopped".into()))??;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": hook.id,
            "url": hook.url,
            "events": hook.events,
            "max_attempts": hook.max_attempts,
            "created_ms": hook.created_ms,
            "secret": hook.secret,
        })),
    ))
}

fn listed_json(l: Listed) -> Value {
    json!({
        "id": l.hook.id,
        "url": l.hook.url,
        "events": l.hook.events,
        "max_attempts": l.hook.max_attempts,
        "created_ms": l.hook.created_ms,
        "delivered_through": l.cursor,
        "dead_letters": l.dead_letters,
        "attempts": l.progress.attempts,
        "last_error": l.progress.last_error,
        "next_at_ms": l.progress.next_at_ms,
    })
}

async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<Value> = state
        .webhooks
        .list()?
        .into_iter()
        .map(listed_json)
        .collect();
    Ok(list_body(items))
}

async fn remove(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let hook = id(&raw, "webhook")?;
    let hooks = state.webhooks.clone();
    tokio::task::spawn_blocking(move || hooks.remove(hook))
        .await
        .map_err(|_| ApiError::Unavailable("the removal stopped".into()))??;
    Ok(Json(json!({"id": hook, "deleted": true})))
}

fn letter_json(l: DeadLetter) -> Value {
    let data: Value = serde_json::from_str(&l.data).unwrap_or(Value::Null);
    json!({
        "event_id": l.event_id,
        "event": l.event,
        "at_ms": l.at_ms,
        "data": data,
        "attempts": l.attempts,
        "last_error": l.last_error,
        "failed_ms": l.failed_ms,
    })
}

async fn dead_letters(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let hook = id(&raw, "webhook")?;
    let limit = limit(query.get("limit"))?;
    let items: Vec<Value> = state
        .webhooks
        .dead_letters(hook, limit)?
        .into_iter()
        .map(letter_json)
        .collect();
    Ok(list_body(items))
}

async fn redeliver(
    State(state): State<AppState>,
    Path((raw_hook, raw_event)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let hook = id(&raw_hook, "webhook")?;
    let event = id(&raw_event, "event")?;
    state.webhooks.redeliver(hook, event).await?;
    Ok(Json(
        json!({"hook": hook, "event_id": event, "delivered": true}),
    ))
}
