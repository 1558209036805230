//! `/api/v1/alerts`: what operators must look at, newest first, with a
//! severity and a state (open, acknowledged, cleared; see
//! [`crate::alerts`]), and `POST /api/v1/alerts/{id}/ack`, by which an
//! operator says they have seen one (an event alert is cleared by it).
//! Changes to alerts are pushed live on the change feed
//! ([`super::changes`]).

use super::error::{limit, strict_u64};
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
