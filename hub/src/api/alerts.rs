//! `/api/v1/alerts`: what operators must look at, newest first, with a
//! severity and a state (open, acknowledged, cleared; see
//! [`crate::alerts`]), and `POST /api/v1/alerts/{id}/ack`, by which an
//! operator says they have seen one (an event alert is cleared by it).
//! Changes to alerts are pushed live on the change feed
//! ([`super::changes`]).

use super::error::{limit, strict_u64};
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::alerts::{AlertKind, AlertState};
use crate::tokens::Holder;
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hub_core::feed::alert_json;
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alerts/{id}/ack", post(acknowledge))
}

/// What operators must look at, newest first
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "listAlerts",
    tag = "safety",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
        ("kind" = Option<crate::alerts::AlertKind>, Query, description = "Only alerts of this kind."),
        ("state" = inline(Option<schema::StateParam>), Query, description = "Only alerts in this state."),
    ),
    responses(
        (status = 200, description = "The alerts.", body = schema::AlertList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn alerts(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(query.get("limit"))?;
    let kind = match query.get("kind") {
        None => None,
        Some(k) => Some(AlertKind::parse(k).ok_or_else(|| {
            ApiError::invalid(format!(
                "unknown alert kind {k:?} (see AlertKind in the OpenAPI document)"
            ))
        })?),
    };
    let wanted = match query.get("state") {
        None => None,
        Some(s) => Some(AlertState::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "unknown alert state {s:?}: open, acknowledged or cleared"
            ))
        })?),
    };
    let items: Vec<Value> = state
        .store
        .alerts(limit, kind, wanted)?
        .iter()
        .map(|(id, a)| alert_json(*id, a))
        .collect();
    Ok(list_body(items))
}

/// An operator has seen this alert (an event alert is cleared by it)
///
/// Role: operator. A second acknowledgement keeps the first one's name and
/// time.
#[utoipa::path(
    post,
    path = "/api/v1/alerts/{id}/ack",
    operation_id = "acknowledgeAlert",
    tag = "safety",
    params(
        ("id" = inline(schema::IdParam), Path, description = "The alert id; anything but one is a 404."),
    ),
    responses(
        (status = 200, description = "The alert as it is now.", body = schema::Alert, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 409, response = schema::Conflict),
        (status = 500, response = schema::StoreFailure),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn acknowledge(
    State(state): State<AppState>,
    Extension(holder): Extension<Holder>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let unknown = || ApiError::NotFound {
        code: "unknown_alert",
        message: format!("no alert {raw:?}"),
    };
    let id = strict_u64(&raw).ok_or_else(unknown)?;
    if state.store.alert(id)?.is_none() {
        return Err(unknown());
    }
    let by = holder.name.clone();
    let (id, alert) = state
        .call(|reply| Command::AckAlert { id, by, reply })
        .await?;
    Ok(Json(alert_json(id, &alert)))
}
