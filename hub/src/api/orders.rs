//! `/api/v1/orders`: take an order in (idempotent on the platform's order
//! id: 201 new, 200 known), page through orders, show one with its
//! history, mark it paid or its payment failed, cancel it, resubmit it after a correction, and
//! read its customer in clear (operator, with a reason, audited).
//! `/api/v1/audit` lists who read personal data and why.
//!
//! Every answer shows customers masked; the clear values come only from
//! `/customer`, and every such read is on record before it is answered.

use super::error::{id, limit};
use super::{list_body, ApiError, ApiJson, AppState};
use crate::intake::{self, CustomerBody, OrderBody};
use crate::orders::{Order, OrderState};
use crate::store::orders::OrderQuery;
use crate::tokens::Holder;
use crate::writer::orders::{Access, CustomerData, OrderCommand};
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
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
        .route("/api/v1/orders/{id}/customer", get(customer))
        .route("/api/v1/audit", get(audit))
}

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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentFailedBody {
    /// What the payment provider said, 1 to 200 characters.
    reason: String,
}

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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResubmitBody {
    #[serde(default)]
    customer: Option<CustomerBody>,
    #[serde(default)]
    remarks: Option<String>,
}

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

async fn audit(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let items: Vec<serde_json::Value> = state
        .store
        .audit_entries(limit(q.get("limit"))?)?
        .into_iter()
        .map(|(id, e)| {
            serde_json::json!({"id": id, "at_ms": e.at_ms, "who": e.who, "action": e.action,
                "reason": e.reason, "order": e.order, "customer": e.customer})
        })
        .collect();
    Ok(list_body(items))
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
