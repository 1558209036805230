//! `/api/v1/tasks`: the work queues as last committed: pick lists and
//! counts, with their lines (location in walking order, suggested lot,
//! quantity, state) and the device each is assigned to.

use super::error::{id, limit};
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
