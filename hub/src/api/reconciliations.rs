//! `/api/v1/reconciliations`: run one now (the body, if any, is the ERP's
//! stock CSV `sku,location,qty`; without a body the configured ERP file is
//! used, if any), list them, and download one as JSON or CSV
//! (`?format=csv`). A CSV with unusable rows is refused with the first 100
//! bad lines listed and all of them counted, and nothing is run.

use super::error::{id, limit};
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::reconcile::erp;
use crate::reconcile::{to_csv, Report};
use crate::writer::Command;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Where the ERP CSV is uploaded (its body limit is `erp_max_upload_bytes`).
pub(super) const UPLOAD_PATH: &str = "/api/v1/reconciliations";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(UPLOAD_PATH, post(run).get(list))
        .route("/api/v1/reconciliations/{id}", get(one))
}

async fn erp_file(state: &AppState, body: Bytes) -> Result<Option<erp::ErpFile>, ApiError> {
    if !body.is_empty() {
        // Parsed as a stream from the one buffer the upload arrived in;
        // off the async threads, it can take a second for a large file.
        let parsed = tokio::task::spawn_blocking(move || erp::parse_reader("upload", &body[..]));
        return parsed
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))
            .map(Some);
    }
    let Some(path) = state.erp_stock_csv.clone() else {
        return Ok(None);
    };
    let parsed = tokio::task::spawn_blocking(move || erp::read_file(&path));
    parsed
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))
        .map(Some)
}

/// Reconcile now: the log against the pool, and against the ERP
///
/// Role: operator. The body, if any, is the ERP's stock CSV
/// (`sku,location,qty`, up to `erp_max_upload_bytes`), taken as it is whatever
/// its `Content-Type`; without a body the configured `erp_stock_csv`, if any,
/// is used. A CSV with unusable rows is a 422 `bad_csv` listing the first 100
/// bad lines (`details.lines`, `[line, message]` pairs) and counting all of
/// them (`details.lines_in_error`); nothing is run then.
#[utoipa::path(
    post,
    path = "/api/v1/reconciliations",
    operation_id = "runReconciliation",
    tag = "reconciliations",
    request_body(content = Option<String>, content_type = "text/csv", example = json!("sku,location,qty\nSKU-1,A-01-02,10\n")),
    responses(
        (status = 201, description = "The report.", body = schema::ReconciliationReport, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn run(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let body = body.map_err(super::json::body_error)?;
    let erp = erp_file(&state, body).await;
    let answer = reconcile(&state, erp?).await;
    release_freed_memory();
    answer
}

async fn reconcile(
    state: &AppState,
    erp: Option<erp::ErpFile>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    if let Some(file) = erp.as_ref().filter(|f| !f.is_usable()) {
        return Err(ApiError::Unprocessable {
            code: "bad_csv",
            message: format!(
                "{} of the ERP file {} cannot be used; nothing was run",
                file.error_summary(),
                file.source
            ),
            details: Some(json!({
                "lines": file.errors,
                "lines_in_error": file.error_lines,
            })),
        });
    }
    let report = state
        .call(|reply| Command::Reconcile {
            erp,
            trigger: "api",
            reply: Some(reply),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Hands the pages a large upload used back to the system. The upload's
/// buffer and the parse's many small keys are freed by now, but glibc keeps
/// freed heap pages mapped, so without this the hub would stay at its peak
/// for the rest of its life.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Reconciliation reports, in short
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/reconciliations",
    operation_id = "listReconciliations",
    tag = "reconciliations",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "The reports.", body = schema::ReconciliationList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(query.get("limit"))?;
    let items: Vec<Value> = state
        .store
        .reports(limit)?
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "trigger": r.trigger,
                "created_ms": r.created_ms,
                "pool_matches_log": r.pool_matches_log,
                "flagged_for_audit": r.flagged_for_audit,
            })
        })
        .collect();
    Ok(list_body(items))
}

/// One reconciliation report, as JSON or CSV
///
/// Role: viewer. An unknown report is a 404 `unknown_report`.
#[utoipa::path(
    get,
    path = "/api/v1/reconciliations/{id}",
    operation_id = "getReconciliation",
    tag = "reconciliations",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
        ("format" = inline(Option<schema::FormatParam>), Query),
    ),
    responses(
        (status = 200, description = "The report.", content((schema::ReconciliationReport = "application/json"), (String = "text/csv"))),
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
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id = id(&raw, "report")?;
    let report = state.store.report(id)?.ok_or_else(|| ApiError::NotFound {
        code: "unknown_report",
        message: format!("no reconciliation report {id}"),
    })?;
    match query.get("format").map(String::as_str) {
        None | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => Ok(([(header::CONTENT_TYPE, "text/csv")], to_csv(&report)).into_response()),
        Some(other) => Err(ApiError::invalid(format!(
            "format must be json or csv, got {other:?}"
        ))),
    }
}
