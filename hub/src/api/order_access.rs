//! Personal data, on record: `GET /api/v1/orders/{id}/customer` reads an
//! order's customer in clear (operator, with a reason, audited before it
//! is answered), and `GET /api/v1/audit` lists who read or changed
//! personal data and why.

use super::error::{id, limit};
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::tokens::Holder;
use crate::writer::orders::{Access, CustomerData, OrderCommand};
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders/{id}/customer", get(customer))
        .route("/api/v1/audit", get(audit))
}

/// An order's customer in clear, audited
///
/// Role: operator, stating a reason. The read is in `/api/v1/audit` before it
/// is answered. An archived customer is a 400.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/customer",
    operation_id = "readOrderCustomer",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
        ("reason" = inline(schema::ReasonParam), Query, description = "Why, 1 to 200 characters once trimmed; kept in the audit log."),
    ),
    responses(
        (status = 200, description = "The customer's data as cleaned.", body = schema::CustomerData, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn customer(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Extension(holder): Extension<Holder>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<CustomerData>, ApiError> {
    let id = id(&raw, "order id")?;
    let reason = super::error::reason(
        q.get("reason").map(String::as_str).unwrap_or_default(),
        "reading a customer in clear needs ?reason= (1 to 200 characters), kept in the audit log",
    )?;
    let access = Access {
        who: holder.name,
        reason,
    };
    let data = state
        .call(|reply| Command::Order(OrderCommand::OpenCustomer { id, access, reply }))
        .await?;
    Ok(Json(data))
}

/// Who read or changed personal data, and why
///
/// Role: operator.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "listAudit",
    tag = "orders",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "The audit entries.", body = super::Items<AuditRow>, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn audit(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let items: Vec<AuditRow> = state
        .store
        .audit_entries(limit(q.get("limit"))?)?
        .into_iter()
        .map(|(id, e)| AuditRow {
            id,
            at_ms: e.at_ms,
            who: e.who,
            action: e.action,
            reason: e.reason,
            order: e.order,
            customer: e.customer,
        })
        .collect();
    Ok(list_body(items))
}

/// One read or change of personal data, on record.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct AuditRow {
    id: u64,
    at_ms: u64,
    /// The token's name, or the hub's own part.
    who: String,
    /// `read_customer`, `set_tags`, `archive_customer`, ...
    action: String,
    reason: String,
    order: Option<u64>,
    customer: Option<String>,
}
