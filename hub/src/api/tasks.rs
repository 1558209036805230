//! `/api/v1/tasks`: the work queues as last committed: pick lists and
//! counts, with their lines (location in walking order, suggested lot,
//! quantity, state) and the device each is assigned to.

use super::error::{id, limit};
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::store::tasks::TaskQuery;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/tasks", get(list))
}

/// Work queues: pick lists and counts, with their lines
///
/// Role: viewer. Tasks as last committed, in id order. A pick list carries the
/// lines of up to `[tasks] max_orders_per_list` orders, in walking order
/// (aisle, bay, level); a count task asks for one SKU at one location. Only
/// devices listed in `[tasks] devices` are given work.
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    operation_id = "listTasks",
    tag = "tasks",
    params(
        ("device" = Option<schema::Id>, Query, description = "Only this device's tasks."),
        ("state" = inline(Option<schema::StateParam4>), Query, description = "Open (a line still to do), closed, or all (default)."),
        ("after" = inline(Option<schema::IdParam>), Query, description = "Only tasks with an id above this one (the previous page's last). Default 0."),
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "A page of tasks.", body = schema::TaskPage, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 503, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let open = match q.get("state").map(String::as_str) {
        None | Some("all") => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "unknown state {other:?}; one of open, closed, all"
            )))
        }
    };
    if let Some(device) = q.get("device") {
        protocol::validate::check_id("device", device)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    let after_id = match q.get("after") {
        None => 0,
        Some(raw) => id(raw, "after")?,
    };
    let query = TaskQuery {
        device: q.get("device").cloned(),
        open,
        after_id,
        limit: limit(q.get("limit"))?,
    };
    Ok(list_body(state.store.tasks(&query)?))
}
