//! `/api/v1/reservations`: hold stock for an order (all lines or none),
//! read, confirm (the hold becomes a pick task's allocation) and release.
//! Every change is a writer command answered after the group's flush.

use super::error::id;
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveBody {
    order_ref: String,
    idempotency_key: Option<String>,
    lines: Vec<RequestLine>,
    hold_seconds: Option<u64>,
}

/// A reservation as answered: shared with the writer, not copied.
struct Answer(Arc<Reservation>);

impl Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

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

async fn confirm(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Answer>, ApiError> {
    let id = id(&raw, "reservation")?;
    let r = state.call(|reply| Command::Confirm { id, reply }).await?;
    Ok(Json(Answer(r)))
}

async fn release(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Answer>, ApiError> {
    let id = id(&raw, "reservation")?;
    let r = state.call(|reply| Command::Release { id, reply }).await?;
    Ok(Json(Answer(r)))
}
