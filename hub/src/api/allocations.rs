//! `/api/v1/allocations`: stock set aside for a sales channel ahead of a
//! promotion (operator): make one, list them, end one (what it still holds
//! returns to the pool). The channel's orders draw on it first.

use super::error::id;
use super::{list_body, ApiError, ApiJson, AppState};
use crate::allocations::{Allocation, AllocationRequest};
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, post};
use axum::{Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/allocations", post(make).get(list))
        .route("/api/v1/allocations/{id}", delete(end))
}

async fn make(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AllocationRequest>,
) -> Result<(StatusCode, Json<Allocation>), ApiError> {
    let made = state
        .call(|reply| Command::Allocate { request, reply })
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Active allocations, or every one with `?all=true`.
async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let all = match q.get("all").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "all must be true or false, got {other:?}"
            )))
        }
    };
    let items: Vec<Allocation> = state
        .store
        .allocations()?
        .into_iter()
        .filter(|a| all || a.is_active())
        .collect();
    Ok(list_body(items))
}

async fn end(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Allocation>, ApiError> {
    let id = id(&raw, "allocation id")?;
    let ended = state
        .call(|reply| Command::EndAllocation { id, reply })
        .await?;
    Ok(Json(ended))
}
