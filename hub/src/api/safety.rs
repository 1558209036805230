//! `/api/v1/safety-stock`: per-SKU thresholds, set through the writer
//! (the alerts they raise are in [`super::alerts`]).

use super::{list_body, ApiError, ApiJson, AppState};
use crate::safety::SafetyRule;
use crate::writer::Command;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/safety-stock", get(rules))
        .route(
            "/api/v1/safety-stock/{sku}",
            get(one).put(set).delete(remove),
        )
}

fn check_sku(sku: &str) -> Result<(), ApiError> {
    protocol::validate::check_id("sku", sku).map_err(|e| ApiError::invalid(e.to_string()))
}

fn rule_json(sku: &str, rule: &SafetyRule) -> Value {
    json!({"sku": sku, "threshold": rule.threshold, "stop_at_safety": rule.stop_at_safety})
}

async fn rules(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<Value> = state
        .store
        .safety_rules()?
        .iter()
        .map(|(sku, rule)| rule_json(sku, rule))
        .collect();
    Ok(list_body(items))
}

async fn one(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_sku(&sku)?;
    state
        .store
        .safety_rules()?
        .iter()
        .find(|(s, _)| *s == sku)
        .map(|(s, r)| Json(rule_json(s, r)))
        .ok_or_else(|| ApiError::NotFound {
            code: "no_safety_rule",
            message: format!("no safety stock rule for SKU {sku}"),
        })
}

async fn set(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    ApiJson(rule): ApiJson<SafetyRule>,
) -> Result<Json<Value>, ApiError> {
    check_sku(&sku)?;
    rule.validate().map_err(ApiError::invalid)?;
    let body = rule_json(&sku, &rule);
    state
        .call(|reply| Command::SetSafety {
            sku,
            rule: Some(rule),
            reply,
        })
        .await?;
    Ok(Json(body))
}

async fn remove(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_sku(&sku)?;
    let body = json!({"sku": sku, "removed": true});
    state
        .call(|reply| Command::SetSafety {
            sku,
            rule: None,
            reply,
        })
        .await?;
    Ok(Json(body))
}
