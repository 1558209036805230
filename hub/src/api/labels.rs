//! `/api/v1/label-batches`, `/api/v1/label-jobs` and `/api/v1/labels`:
//! shipping labels (issue 16). An operator prints a batch of packed
//! orders with one call; the batch's progress (queued, printed, failed
//! with the reason, moved to another station) is read back here, a failed
//! or unsure job is reprinted or closed, and any job's label can be looked
//! at as a PNG before or after it prints (the recipient is opened for it:
//! audited).

use super::error::id;
use super::openapi::schema;
use super::{ApiError, ApiJson, AppState};
use crate::tokens::Holder;
use crate::writer::labels::{BatchRequest, LabelCommand, Shipment};
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use hub_core::printing::{BatchRecord, JobRecord, PrintBook};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/label-batches", get(batches).post(create))
        .route("/api/v1/label-batches/{id}", get(batch))
}

/// One order of a new batch with its waybill.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LabelShipment)]
#[serde(deny_unknown_fields)]
struct ShipmentBody {
    #[schema(minimum = 1, maximum = 18_446_744_073_709_551_615_u64)]
    order: u64,
    /// No control characters.
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]+$"
    )]
    carrier: String,
    #[schema(pattern = "^[A-Za-z0-9]{1,40}$")]
    tracking: String,
}

/// `POST /api/v1/label-batches`: `orders` (the configured carrier gives
/// each its waybill) or `shipments` (each names its own), not both (else
/// 400).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LabelBatchBody)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    /// The station group that prints it (`[labels] stations`).
    #[schema(min_length = 1, max_length = 64)]
    group: String,
    /// Packed orders, in print order; the configured carrier issues their
    /// waybills.
    #[serde(default)]
    orders: Vec<u64>,
    /// Packed orders, in print order, each with its waybill.
    #[serde(default)]
    shipments: Vec<ShipmentBody>,
}

/// Print shipping labels for packed orders, with one call
///
/// Role: operator. Either `orders` (the configured carrier, `[labels] carrier`,
/// issues each order's waybill: its recipient is opened and audited, failures
/// are retried with backoff and then answered 502 `carrier_failed` naming the
/// order) or `shipments` (each names its carrier and tracking number). Every
/// order must be packed, of this site, and have no label on its way (else 409
/// `order_state` or 400). Each label is rendered (ZPL II, 100x150 mm at 203
/// dpi) from the recipient's data (audited: `label`, `label batch N`), sealed
/// at rest, and sent as a job sealed to one station of `group` (WIRE.md 3.16);
/// a failed job moves to another station of the group.
#[utoipa::path(
    post,
    path = "/api/v1/label-batches",
    operation_id = "createLabelBatch",
    tag = "labels",
    request_body(content = BatchBody, content_type = "application/json", example = json!({"group": "dock", "shipments": [{"order": 1, "carrier": "SF Express", "tracking": "SF1234567890"}]})),
    responses(
        (status = 201, description = "The batch, its jobs sent.", body = schema::LabelBatch, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 409, response = schema::Conflict),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 422, response = schema::Unprocessable),
        (status = 502, response = schema::BadGateway),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn create(
    State(state): State<AppState>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.group.is_empty() || body.group.chars().count() > 64 {
        return Err(ApiError::invalid("group must be 1 to 64 characters"));
    }
    let shipments = match (body.orders.is_empty(), body.shipments.is_empty()) {
        (false, true) => super::waybills::waybills(&state, &holder, &body.orders).await?,
        (true, false) => body
            .shipments
            .into_iter()
            .map(checked_shipment)
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(ApiError::invalid(
                "give either orders (the carrier issues waybills) or shipments, not both",
            ))
        }
    };
    let request = Box::new(BatchRequest {
        group: body.group,
        who: holder.name,
        sender: state.labels.sender(),
        zpl: state.labels.zpl_options(),
        shipments,
    });
    let id = state
        .call(|reply| Command::Label(Box::new(LabelCommand::CreateBatch { request, reply })))
        .await?;
    let body = batch_body(&state, id)?;
    Ok((StatusCode::CREATED, Json(body)))
}

fn checked_shipment(s: ShipmentBody) -> Result<Shipment, ApiError> {
    if !protocol::label::valid_tracking(&s.tracking) {
        return Err(ApiError::invalid(format!(
            "order {}: a tracking number is 1 to 40 ASCII letters and digits",
            s.order
        )));
    }
    if s.carrier.is_empty()
        || s.carrier.chars().count() > 40
        || s.carrier.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(format!(
            "order {}: a carrier name is 1 to 40 characters, no control characters",
            s.order
        )));
    }
    Ok(Shipment {
        order: s.order,
        carrier: s.carrier,
        tracking: s.tracking,
    })
}

/// The newest label batches first, each with its progress and jobs
///
/// Role: viewer.
// The newest batches first (`limit`, default 100), each with its
// progress and jobs.
#[utoipa::path(
    get,
    path = "/api/v1/label-batches",
    operation_id = "listLabelBatches",
    tag = "labels",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "The batches.", body = schema::LabelBatchList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn batches(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<axum::response::Response, ApiError> {
    let limit = super::error::limit(query.get("limit"))?;
    let items: Vec<Value> = state
        .store
        .label_batches(limit)?
        .iter()
        .map(|(batch, jobs)| batch_view(batch, jobs))
        .collect();
    Ok(super::list_body(items))
}

/// A label batch's progress and every job it had
///
/// Role: viewer. Progress counts each label once where it is now (sent, queued
/// at a station, printed, failed with nowhere to go, unsure, closed), and
/// `moved` the jobs given to another station (each also counted where it went).
#[utoipa::path(
    get,
    path = "/api/v1/label-batches/{id}",
    operation_id = "getLabelBatch",
    tag = "labels",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The batch.", body = schema::LabelBatch, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn batch(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "label batch")?;
    Ok(Json(batch_body(&state, id)?))
}

fn batch_body(state: &AppState, id: u64) -> Result<Value, ApiError> {
    let (batch, jobs) = state
        .store
        .label_batch(id)?
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_label_batch",
            message: format!("no label batch {id}"),
        })?;
    Ok(batch_view(&batch, &jobs))
}

fn batch_view(batch: &BatchRecord, jobs: &[JobRecord]) -> Value {
    json!({
        "id": batch.id,
        "group": batch.group,
        "by": batch.by,
        "created_ms": batch.created_ms,
        "progress": PrintBook::progress(jobs),
        "jobs": jobs.iter().map(job_view).collect::<Vec<_>>(),
    })
}

pub(super) fn job_view(job: &JobRecord) -> Value {
    let (reason, moved_to) = match &job.state {
        hub_core::printing::JobState::Failed(r) | hub_core::printing::JobState::Unsure(r) => {
            (Some(r.clone()), None)
        }
        hub_core::printing::JobState::Closed(note) => (Some(note.clone()), None),
        hub_core::printing::JobState::Moved(to) => (None, Some(*to)),
        _ => (None, None),
    };
    json!({
        "id": job.id,
        "batch": job.batch,
        "position": job.position,
        "batch_size": job.batch_size,
        "order": job.order,
        "carrier": job.carrier,
        "tracking": job.tracking,
        "station": job.station,
        "state": job.state.as_str(),
        "reason": reason,
        "moved_to": moved_to,
        "created_ms": job.created_ms,
        "updated_ms": job.updated_ms,
        "history": job.steps.iter().map(|s| json!({"at_ms": s.at_ms, "what": s.what})).collect::<Vec<_>>(),
    })
}

pub(super) fn stored_job(state: &AppState, id: u64) -> Result<JobRecord, ApiError> {
    state
        .store
        .label_job(id)?
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_label_job",
            message: format!("no label job {id}"),
        })
}
