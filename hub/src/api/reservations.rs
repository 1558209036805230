//! `/api/v1/reservations`: hold stock for an order (all lines or none),
//! read, confirm (the hold becomes a pick task's allocation) and release.
//! Every change is a writer command answered after the group's flush.

use super::error::id;
use super::openapi::schema;
use super::{ApiError, ApiJson, AppState};
use crate::reservations::{RequestLine, Reservation, ReserveRequest, DEFAULT_HOLD_MS};
use crate::writer::Command;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::Serialize;
use std::sync::Arc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reservations", post(reserve))
        .route("/api/v1/reservations/{id}", get(one).delete(release))
        .route("/api/v1/reservations/{id}/confirm", post(confirm))
}

/// The body of `POST /api/v1/reservations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveBody {
    #[schema(value_type = hub_core::openapi::Id)]
    order_ref: String,
    #[schema(value_type = Option<hub_core::openapi::Id>)]
    idempotency_key: Option<String>,
    /// A SKU may appear more than once; quantities add up.
    #[schema(min_items = 1, max_items = 200)]
    lines: Vec<RequestLine>,
    #[schema(minimum = 60, maximum = 1800, default = 900)]
    hold_seconds: Option<u64>,
}

/// A reservation as answered: shared with the writer, not copied.
struct Answer(Arc<Reservation>);

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// Hold stock for an order, all lines or none
///
/// Role: integrator. Answered once the hold is on disk. A retry with the same
/// idempotency key (header `Idempotency-Key` or field `idempotency_key`; the
/// order reference when neither) answers 200 with the same hold while it lives
/// and for `idempotency_key_retention_hours` after it ends; the key reused for
/// another request is a 422 `idempotency_key_reused`. Not enough available
/// stock is a 409 `insufficient_stock` (or `below_safety_stock` for a SKU that
/// stops at safety stock) with the `shortfall` per line; a SKU never seen is a
/// 422 `unknown_sku` with `details.skus`.
#[utoipa::path(
    post,
    path = "/api/v1/reservations",
    operation_id = "reserve",
    tag = "reservations",
    params(
        ("Idempotency-Key" = Option<schema::Id>, Header, description = "Retry key; must equal `idempotency_key` if both are sent (else 400)."),
    ),
    request_body(content = ReserveBody, content_type = "application/json", example = json!({"order_ref": "ORD-1", "idempotency_key": "ORD-1", "hold_seconds": 600, "lines": [{"sku": "SKU-1", "quantity": 2}]})),
    responses(
        (status = 200, description = "A retry: the hold made before.", body = Reservation, content_type = "application/json"),
        (status = 201, description = "Held.", body = Reservation, content_type = "application/json"),
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
    extensions(("x-role" = json!("integrator"))),
)]
async fn reserve(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReserveBody>,
) -> Result<(StatusCode, Json<Answer>), ApiError> {
    let header_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key is not printable ASCII"))?
                .to_string(),
        ),
    };
    let request = into_request(body, header_key)?;
    let (reservation, created) = state
        .call(|reply| Command::Reserve { request, reply })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Answer(reservation))))
}

/// A reservation body (and the `Idempotency-Key` header, if any) as a
/// checked writer request; bad input is refused here, before it takes a
/// place in the writer's queue. Public for the fuzz target.
pub fn into_request(
    body: ReserveBody,
    header_key: Option<String>,
) -> Result<ReserveRequest, ApiError> {
    let idempotency_key = match (header_key, body.idempotency_key) {
        (Some(h), Some(b)) if h != b => {
            return Err(ApiError::invalid(
                "Idempotency-Key header and idempotency_key field differ",
            ))
        }
        (h, b) => h.or(b),
    };
    let hold_ms = match body.hold_seconds {
        None => DEFAULT_HOLD_MS,
        Some(s) => s.saturating_mul(1000),
    };
    let request = ReserveRequest {
        order_ref: body.order_ref,
        idempotency_key,
        lines: body.lines,
        hold_ms,
    };
    request.validate()?;
    Ok(request)
}

/// One reservation and its expiry
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/reservations/{id}",
    operation_id = "getReservation",
    tag = "reservations",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The reservation.", body = Reservation, content_type = "application/json"),
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
) -> Result<Json<Reservation>, ApiError> {
    let id = id(&raw, "reservation")?;
    state
        .store
        .reservation(id)?
        .map(Json)
        .ok_or_else(|| crate::errors::PoolError::NotFound(id).into())
}

/// Turn a hold into picking work
///
/// Role: operator. The hold becomes the allocation of pick task `res-{id}`
/// (FEFO pick suggestions in `allocations`) and no longer expires. Takes no
/// body. A reservation that is not held is a 409 `reservation_state`.
#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/confirm",
    operation_id = "confirmReservation",
    tag = "reservations",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "Confirmed.", body = Reservation, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 409, response = schema::Conflict),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn confirm(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Answer>, ApiError> {
    let id = id(&raw, "reservation")?;
    let r = state.call(|reply| Command::Confirm { id, reply }).await?;
    Ok(Json(Answer(r)))
}

/// Give a hold back to the pool
///
/// Role: integrator (a shop platform releases the hold of an order it
/// cancelled). Releasing a released or expired one answers it again; a
/// fulfilled one is a 409 `reservation_state`.
#[utoipa::path(
    delete,
    path = "/api/v1/reservations/{id}",
    operation_id = "releaseReservation",
    tag = "reservations",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "Released.", body = Reservation, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 409, response = schema::Conflict),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn release(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Answer>, ApiError> {
    let id = id(&raw, "reservation")?;
    let r = state.call(|reply| Command::Release { id, reply }).await?;
    Ok(Json(Answer(r)))
}
