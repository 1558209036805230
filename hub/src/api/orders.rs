//! `/api/v1/orders`: take an order in (idempotent on the platform's order
//! id: 201 new, 200 known), page through orders, show one with its
//! history, mark it paid or its payment failed, cancel it, resubmit it
//! after a correction. Reading its customer in clear is [`super::order_access`].
//!
//! Every answer shows customers masked; the clear values come only from
//! `/customer`, and every such read is on record before it is answered.

use super::error::{id, limit};
use super::openapi::schema;
use super::{list_body, ApiError, ApiJson, AppState};
use crate::intake::{self, CustomerBody, OrderBody};
use crate::orders::{Order, OrderState};
use crate::store::orders::OrderQuery;
use crate::writer::orders::OrderCommand;
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", post(place).get(list))
        .route("/api/v1/orders/{id}", get(one))
        .route("/api/v1/orders/{id}/paid", post(paid))
        .route("/api/v1/orders/{id}/payment-failed", post(payment_failed))
        .route("/api/v1/orders/{id}/cancel", post(cancel))
        .route("/api/v1/orders/{id}/resubmit", post(resubmit))
}

/// Take an order in
///
/// Role: integrator. Once per (platform, platform_order_id): a resend answers
/// 200 with the order as it is, never a second order. The customer is cleaned
/// (invisible characters, markup and odd spaces removed, NFC, the phone as 11
/// digits or E.164, the address recognised against the region table), sealed at
/// rest and answered masked. Customer data that is only wrong (an address
/// contradicting itself, a phone that is not one) is taken in and waits in
/// `exception` with every reason; malformed input is a 400.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    operation_id = "placeOrder",
    tag = "orders",
    request_body(content = OrderBody, content_type = "application/json", example = json!({"platform": "own", "platform_order_id": "A-1001", "service": "express", "paid": false, "customer": {"name": "张三", "phone": "+86 138-1234-5678", "address": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}}, "lines": [{"sku": "SKU-1", "quantity": 2}], "tags": [], "channel": "live", "remarks": "请放门口"})),
    responses(
        (status = 200, description = "Known already: the order as it is.", body = schema::Order, content_type = "application/json"),
        (status = 201, description = "Taken in.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn place(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    place_body(&state, body).await
}

/// Checks, cleans and places an order body (ours, or one a platform
/// adapter mapped): 201 with the new order, 200 with a known one.
pub(super) async fn place_body(
    state: &AppState,
    body: OrderBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let order = Box::new(intake::prepare(body, &state.regions)?);
    let (order, created) = state
        .call(|reply| Command::Order(OrderCommand::Place { order, reply }))
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(&order))))
}

/// A page of orders, by id
///
/// Role: viewer. Orders in id order, customers masked. For the next page pass
/// the last id of this one as `after`; a page shorter than `limit` is the last.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    operation_id = "listOrders",
    tag = "orders",
    params(
        ("state" = Option<OrderState>, Query, description = "Only orders in this state."),
        ("since" = inline(Option<schema::IdParam>), Query, description = "Only orders that changed state at or after this time (`updated_ms`), ms since the epoch."),
        ("after" = inline(Option<schema::IdParam>), Query, description = "Only orders with an id above this one (the previous page's last). Default 0."),
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "One page.", body = schema::OrderPage, content_type = "application/json"),
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
    let state_filter = match q.get("state") {
        None => None,
        Some(word) => Some(OrderState::parse(word).ok_or_else(|| {
            let known: Vec<&str> = OrderState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid(format!(
                "unknown state {word:?}; one of {}",
                known.join(", ")
            ))
        })?),
    };
    let since_ms = match q.get("since") {
        None => None,
        Some(raw) => Some(
            raw.parse::<u64>()
                .map_err(|_| ApiError::invalid("since must be a time in ms since the epoch"))?,
        ),
    };
    let after_id = match q.get("after") {
        None => 0,
        Some(raw) => id(raw, "after")?,
    };
    let query = OrderQuery {
        state: state_filter,
        since_ms,
        after_id,
        limit: limit(q.get("limit"))?,
    };
    let items: Vec<Value> = state.store.orders(&query)?.iter().map(view).collect();
    Ok(list_body(items))
}

/// One order, with its history and the time spent per state
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    operation_id = "getOrder",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The order.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let order_id = id(&raw, "order id")?;
    state
        .store
        .order(order_id)?
        .map(|o| Json(view(&o)))
        .ok_or_else(|| ApiError::from(crate::errors::PoolError::OrderNotFound(order_id)))
}

/// Mark an order paid
///
/// Role: integrator. Its hold becomes an allocation and the order is routed (or
/// a `backorder` exception). Takes no body. An order in a state that cannot be
/// paid is a 409 `order_state`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/paid",
    operation_id = "markOrderPaid",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The order.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 409, response = schema::Conflict),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn paid(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "order id")?;
    let order = state
        .call(|reply| Command::Order(OrderCommand::Paid { id, reply }))
        .await?;
    Ok(Json(view(&order)))
}

/// The body of `POST /api/v1/orders/{id}/payment-failed`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PaymentFailedBody {
    /// What the payment provider said (no personal data), 1 to 200
    /// characters once trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    reason: String,
}

/// Record a failed payment: the hold is released at once
///
/// Role: integrator. The order waits as a `payment_failed` exception with the
/// provider's reason; a later `POST .../paid` holds its stock again. A paid
/// order (or one in a state past payment) is a 409 `order_state`; an empty or
/// over-long reason a 400.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/payment-failed",
    operation_id = "orderPaymentFailed",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    request_body(content = PaymentFailedBody, content_type = "application/json", example = json!({"reason": "card declined"})),
    responses(
        (status = 200, description = "The order, in exception.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 409, response = schema::Conflict),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn payment_failed(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<PaymentFailedBody>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "order id")?;
    let reason = super::error::reason(
        &body.reason,
        "\"reason\" must say why the payment failed, in 1 to 200 characters",
    )?;
    let order = state
        .call(|reply| Command::Order(OrderCommand::PaymentFailed { id, reason, reply }))
        .await?;
    Ok(Json(view(&order)))
}

/// Cancel an order; its stock returns to the pool
///
/// Role: integrator. Takes no body. An order that cannot be cancelled any more
/// is a 409 `order_state`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    operation_id = "cancelOrder",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The order.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 409, response = schema::Conflict),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "order id")?;
    let order = state
        .call(|reply| Command::Order(OrderCommand::Cancel { id, reply }))
        .await?;
    Ok(Json(view(&order)))
}

/// The body of `POST /api/v1/orders/{id}/resubmit`: the corrected
/// customer, or nothing to send the order through the checks as it is.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResubmitBody {
    #[serde(default)]
    customer: Option<CustomerBody>,
    #[serde(default)]
    remarks: Option<String>,
}

/// Send an order in exception through the checks again
///
/// Role: operator. With a corrected `customer` (and `remarks`), or `{}` to
/// check it as it is.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/resubmit",
    operation_id = "resubmitOrder",
    tag = "orders",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    request_body(content = ResubmitBody, content_type = "application/json", example = json!({"customer": {"name": "张三", "phone": "13812345678", "address": {"country": "CN", "province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}}, "remarks": "请放门口"})),
    responses(
        (status = 200, description = "The order.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 409, response = schema::Conflict),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn resubmit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ResubmitBody>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "order id")?;
    let (customer, problems) = match &body.customer {
        None => (None, Vec::new()),
        Some(c) => {
            let remarks = body.remarks.as_deref().unwrap_or("");
            let (data, fixes, problems) = intake::clean(c, remarks, &state.regions);
            (Some(Box::new((data, fixes))), problems)
        }
    };
    let order = state
        .call(|reply| {
            Command::Order(OrderCommand::Resubmit {
                id,
                customer,
                problems,
                reply,
            })
        })
        .await?;
    Ok(Json(view(&order)))
}

/// An order as answered: everything but the sealed values (the customer
/// shows masked; clear values only through `/customer`).
pub(super) fn view(order: &Order) -> Value {
    let mut value = serde_json::to_value(order).unwrap_or(Value::Null);
    if let Some(customer) = value.get_mut("customer").and_then(Value::as_object_mut) {
        customer.remove("sealed");
    }
    if let Some(fields) = value.as_object_mut() {
        // Time spent in each state so far (repeat visits added), the
        // current one up to now.
        let mut spent = serde_json::Map::new();
        for (state, ms) in order.time_in_states(crate::clock::wall_ms()) {
            let total = spent
                .get(state.as_str())
                .and_then(Value::as_u64)
                .unwrap_or(0)
                + ms;
            spent.insert(state.as_str().to_string(), Value::from(total));
        }
        fields.insert("time_in_states_ms".into(), Value::Object(spent));
    }
    value
}
