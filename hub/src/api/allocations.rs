//! `/api/v1/allocations`: stock set aside for a sales channel ahead of a
//! promotion (operator): make one, list them, end one (what it still holds
//! returns to the pool). The channel's orders draw on it first.

use super::error::id;
use super::openapi::schema;
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

/// Set stock aside for a sales channel
///
/// Role: operator. Only available stock can be set aside (else 409
/// `insufficient_stock`); a SKU never seen is a 422 `unknown_sku`. Orders with
/// that `channel` draw on it first; other channels cannot touch it.
#[utoipa::path(
    post,
    path = "/api/v1/allocations",
    operation_id = "allocate",
    tag = "allocations",
    request_body(content = AllocationRequest, content_type = "application/json", example = json!({"channel": "live", "sku": "SKU-1", "quantity": 200, "ends_ms": 4_102_444_800_000_u64, "note": "12.12"})),
    responses(
        (status = 201, description = "Set aside.", body = Allocation, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 408, response = schema::BodyTimeout),
        (status = 409, response = schema::Conflict),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn make(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AllocationRequest>,
) -> Result<(StatusCode, Json<Allocation>), ApiError> {
    let made = state
        .call(|reply| Command::Allocate { request, reply })
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Allocations: the active ones, or every one
///
/// Role: viewer.
// Active allocations, or every one with `?all=true`.
#[utoipa::path(
    get,
    path = "/api/v1/allocations",
    operation_id = "listAllocations",
    tag = "allocations",
    params(
        ("all" = inline(Option<schema::AllParam>), Query, description = "`true` for ended ones too."),
    ),
    responses(
        (status = 200, description = "The allocations.", body = super::Items<Allocation>, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
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

/// End an allocation; what it still holds returns to the pool
///
/// Role: operator. Ending an ended one answers it again. An unknown id is a 404
/// `unknown_allocation`.
#[utoipa::path(
    delete,
    path = "/api/v1/allocations/{id}",
    operation_id = "endAllocation",
    tag = "allocations",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "Ended.", body = Allocation, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
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
