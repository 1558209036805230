//! `/api/v1/discrepancies` and `/api/v1/count-tasks`: scans the pool could
//! not cover, and the counts that will settle them (promise 5).

use super::error::limit;
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/discrepancies", get(discrepancies))
        .route("/api/v1/count-tasks", get(count_tasks))
}

/// `state=open|closed|all` (default all) as a filter on "is open".
fn open_filter(query: &HashMap<String, String>, done: &str) -> Result<Option<bool>, ApiError> {
    match query.get("state").map(String::as_str) {
        None | Some("all") => Ok(None),
        Some("open") => Ok(Some(true)),
        Some(s) if s == done => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid(format!(
            "state must be open, {done} or all, got {other:?}"
        ))),
    }
}

/// Scans the pool could not cover
///
/// Role: viewer. Each opened a count task; the count closes it.
#[utoipa::path(
    get,
    path = "/api/v1/discrepancies",
    operation_id = "listDiscrepancies",
    tag = "exceptions",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
        ("state" = inline(Option<schema::StateParam2>), Query, description = "Default `all`."),
    ),
    responses(
        (status = 200, description = "The discrepancies.", body = schema::DiscrepancyList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn discrepancies(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(query.get("limit"))?;
    let open = open_filter(&query, "closed")?;
    let items: Vec<Value> = state
        .store
        .discrepancies(limit, open)?
        .into_iter()
        .map(|d| {
            let mut v = json!(d);
            v["state"] = json!(if d.resolution.is_none() {
                "open"
            } else {
                "closed"
            });
            v
        })
        .collect();
    Ok(list_body(items))
}

/// Counts that will settle the discrepancies
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/count-tasks",
    operation_id = "listCountTasks",
    tag = "exceptions",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
        ("state" = inline(Option<schema::StateParam3>), Query, description = "Default `all`."),
    ),
    responses(
        (status = 200, description = "The count tasks.", body = schema::CountTaskList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn count_tasks(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(query.get("limit"))?;
    let open_only = open_filter(&query, "done")?;
    let items: Vec<Value> = state
        .store
        .count_tasks(limit, open_only == Some(true))?
        .into_iter()
        .filter(|t| open_only != Some(false) || t.done_ms.is_some())
        .map(|t| {
            let mut v = json!(t);
            v["task"] = json!(format!("count-{}", t.id));
            v["state"] = json!(if t.done_ms.is_none() { "open" } else { "done" });
            v
        })
        .collect();
    Ok(list_body(items))
}
