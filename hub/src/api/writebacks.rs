//! `/api/v1/writebacks`: tracking numbers still owed to the shops'
//! platforms (issue 16): each order whose label printed, until its
//! platform acknowledged the number, with its attempts, its last error and
//! whether it is parked (refused, or no adapter configured: retried only
//! when an operator asks, after fixing the cause).

use super::error::id;
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/writebacks", get(list))
        .route("/api/v1/writebacks/{order}/retry", post(retry))
}

/// Tracking numbers still owed to the shops' platforms
///
/// Role: viewer. Each order whose label printed, until its platform (`[labels]
/// platforms`: Taobao/Tmall, JD, Shopee) acknowledged the tracking number;
/// retried with backoff (1 s doubling to 15 min) until then. `parked`: refused,
/// or no adapter configured; retried only at `POST .../retry`.
#[utoipa::path(
    get,
    path = "/api/v1/writebacks",
    operation_id = "listWritebacks",
    tag = "labels",
    responses(
        (status = 200, description = "What is owed.", body = schema::WritebackList, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 503, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<Value> = state
        .writebacks
        .pending()
        .into_iter()
        .map(|p| {
            json!({
                "order": p.order,
                "platform": p.shipment.platform,
                "platform_order_id": p.shipment.platform_order_id,
                "carrier": p.shipment.carrier,
                "tracking": p.shipment.tracking,
                "attempts": p.attempts,
                "next_at_ms": p.next_at_ms,
                "last_error": p.last_error,
                "parked": p.parked,
            })
        })
        .collect();
    Ok(list_body(items))
}

/// Tell the platform again now (after fixing what parked it)
///
/// Role: operator.
#[utoipa::path(
    post,
    path = "/api/v1/writebacks/{order}/retry",
    operation_id = "retryWriteback",
    tag = "labels",
    params(
        ("order" = inline(schema::IdParam), Path, description = "The order id (digits only)."),
    ),
    responses(
        (status = 202, description = "Due now.", body = RetryDue, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn retry(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<RetryDue>), ApiError> {
    let order = id(&raw, "order")?;
    if !state.writebacks.retry_now(order, crate::clock::wall_ms()) {
        return Err(ApiError::NotFound {
            code: "unknown_writeback",
            message: format!("order {order} owes its platform nothing"),
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RetryDue {
            order,
            retry: "now",
        }),
    ))
}

/// The answer of a retry: the order, due `now`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct RetryDue {
    order: u64,
    retry: &'static str,
}
