//! `/api/v1/reconciliations`: run one now (the body, if any, is the ERP's
//! stock CSV `sku,location,qty`; without a body the configured ERP file is
//! used, if any), list them, and download one as JSON or CSV
//! (`?format=csv`). A CSV with unusable rows is refused with every bad line
//! listed, and nothing is run.

use super::error::{id, limit};
use super::{ApiError, AppState};
use crate::erp;
use crate::reconcile::{to_csv, Report};
use crate::writer::Command;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Largest ERP file accepted by upload.
const MAX_CSV_BYTES: usize = 64 << 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/reconciliations",
            post(run)
                .get(list)
                .layer(DefaultBodyLimit::max(MAX_CSV_BYTES)),
        )
        .route("/api/v1/reconciliations/{id}", get(one))
}

async fn erp_file(state: &AppState, body: &[u8]) -> Result<Option<erp::ErpFile>, ApiError> {
    if !body.is_empty() {
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::invalid("the ERP CSV is not UTF-8"))?;
        return Ok(Some(erp::parse("upload", text)));
    }
    let Some(path) = &state.erp_stock_csv else {
        return Ok(None);
    };
    let source = path.display().to_string();
    Ok(Some(match tokio::fs::read_to_string(path).await {
        Ok(text) => erp::parse(&source, &text),
        Err(e) => erp::ErpFile::unreadable(&source, format!("cannot read: {e}")),
    }))
}

async fn run(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let erp = erp_file(&state, &body).await?;
    if let Some(file) = erp.as_ref().filter(|f| !f.errors.is_empty()) {
        return Err(ApiError::Unprocessable {
            code: "bad_csv",
            message: format!(
                "{} line(s) of the ERP file {} cannot be used; nothing was run",
                file.errors.len(),
                file.source
            ),
            details: Some(json!({ "lines": file.errors })),
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

async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "items": items })))
}

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
