//! Label jobs: one job with its history, a reprint, closing a failed or
//! unsure job by hand, and the label's PNG preview (audited: it shows the
//! customer's address). Batches are [`super::labels`].

use super::error::id;
use super::labels::{job_view, stored_job};
use super::openapi::schema;
use super::{ApiError, ApiJson, AppState};
use crate::tokens::Holder;
use crate::writer::labels::LabelCommand;
use crate::writer::orders::Access;
use crate::writer::Command;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/label-jobs/{id}", get(job))
        .route("/api/v1/label-jobs/{id}/reprint", post(reprint))
        .route("/api/v1/label-jobs/{id}/close", post(close))
        .route("/api/v1/labels/{file}", get(preview))
}

/// One label job with its history
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/label-jobs/{id}",
    operation_id = "getLabelJob",
    tag = "labels",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 200, description = "The job.", body = schema::LabelJob, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn job(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id(&raw, "label job")?;
    Ok(Json(job_view(&stored_job(&state, id)?)))
}

/// Print a failed or unsure label again
///
/// Role: operator. An unsure job (perhaps printed) is never printed again by
/// itself: an operator who found no label reprints it here. The new job goes to
/// a station of the same group, its own included.
#[utoipa::path(
    post,
    path = "/api/v1/label-jobs/{id}/reprint",
    operation_id = "reprintLabelJob",
    tag = "labels",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    responses(
        (status = 201, description = "The new job.", body = schema::LabelJob, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn reprint(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let job = id(&raw, "label job")?;
    stored_job(&state, job)?;
    let new = state
        .call(|reply| Command::Label(Box::new(LabelCommand::Reprint { job, reply })))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(job_view(&stored_job(&state, new)?)),
    ))
}

/// `POST /api/v1/label-jobs/{id}/close`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = LabelCloseBody)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    /// Whether an operator saw the label printed.
    printed: bool,
}

/// Close a failed or unsure label job, as printed or not
///
/// Role: operator. `printed: true` (the operator holds the label) moves the
/// order to labelled.
#[utoipa::path(
    post,
    path = "/api/v1/label-jobs/{id}/close",
    operation_id = "closeLabelJob",
    tag = "labels",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    request_body(content = CloseBody, content_type = "application/json", example = json!({"printed": true})),
    responses(
        (status = 200, description = "The job, closed.", body = schema::LabelJob, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn close(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<CloseBody>,
) -> Result<Json<Value>, ApiError> {
    let job = id(&raw, "label job")?;
    stored_job(&state, job)?;
    let printed = body.printed;
    state
        .call(|reply| {
            Command::Label(Box::new(LabelCommand::Close {
                job,
                printed,
                reply,
            }))
        })
        .await?;
    Ok(Json(job_view(&stored_job(&state, job)?)))
}

/// A label job's label as a PNG, before or after it prints
///
/// Role: operator (it shows a recipient). `{file}` is `{job id}.png`. Rendered
/// by the hub from the same layout as the ZPL the station prints: 800 x 1200
/// dots, 1-bit grayscale. The recipient is opened for it and the access audited
/// with `reason` (default `label preview`). Characters outside ASCII show as
/// hollow boxes (the printer draws them with its own font).
// `GET /api/v1/labels/{job}.png?reason=...`: the label as the station
// prints it, from the same layout (operator; the recipient is opened,
// and the audit names the reason, `label preview` by default).
#[utoipa::path(
    get,
    path = "/api/v1/labels/{file}",
    operation_id = "previewLabel",
    tag = "labels",
    params(
        ("file" = inline(schema::FileParam), Path, description = "`{job id}.png`."),
        ("reason" = inline(Option<schema::ReasonParam>), Query, description = "Why, for the audit (1 to 200 characters once trimmed)."),
    ),
    responses(
        (status = 200, description = "The label.", body = inline(schema::PreviewLabelAnswer200), content_type = "image/png"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn preview(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Extension(holder): Extension<Holder>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let Some(raw) = file.strip_suffix(".png") else {
        return Err(ApiError::NotFound {
            code: "unknown_label",
            message: "labels are served as /api/v1/labels/{job}.png".into(),
        });
    };
    let job = Box::new(stored_job(&state, id(raw, "label job")?)?);
    let reason = match q.get("reason") {
        None => "label preview".to_string(),
        Some(r) => super::error::reason(r, "a reason is 1 to 200 characters")?,
    };
    let access = Access {
        who: holder.name,
        reason,
    };
    let sender = state.labels.sender();
    let png = state
        .call(|reply| {
            Command::Label(Box::new(LabelCommand::Preview {
                job,
                sender,
                access,
                reply,
            }))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
