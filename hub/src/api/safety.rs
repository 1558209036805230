//! `/api/v1/safety-stock`: per-SKU thresholds, set through the writer
//! (the alerts they raise are in [`super::alerts`]).

use super::openapi::schema;
use super::{list_body, ApiError, ApiJson, AppState};
use crate::safety::SafetyRule;
use crate::writer::Command;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};

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

/// A rule as answered: the SKU with its rule.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = SafetyRuleView)]
struct RuleView {
    sku: String,
    threshold: i64,
    stop_at_safety: bool,
}

fn rule_view(sku: &str, rule: &SafetyRule) -> RuleView {
    RuleView {
        sku: sku.to_string(),
        threshold: rule.threshold,
        stop_at_safety: rule.stop_at_safety,
    }
}

/// Every safety-stock rule
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/safety-stock",
    operation_id = "listSafetyRules",
    tag = "safety",
    responses(
        (status = 200, description = "The rules.", body = super::Items<RuleView>, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn rules(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items: Vec<RuleView> = state
        .store
        .safety_rules()?
        .iter()
        .map(|(sku, rule)| rule_view(sku, rule))
        .collect();
    Ok(list_body(items))
}

/// One SKU's safety-stock rule
///
/// Role: viewer. No rule is a 404 `no_safety_rule`.
#[utoipa::path(
    get,
    path = "/api/v1/safety-stock/{sku}",
    operation_id = "getSafetyRule",
    tag = "safety",
    params(
        ("sku" = schema::Id, Path),
    ),
    responses(
        (status = 200, description = "The rule.", body = RuleView, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn one(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<RuleView>, ApiError> {
    check_sku(&sku)?;
    state
        .store
        .safety_rules()?
        .iter()
        .find(|(s, _)| *s == sku)
        .map(|(s, r)| Json(rule_view(s, r)))
        .ok_or_else(|| ApiError::NotFound {
            code: "no_safety_rule",
            message: format!("no safety stock rule for SKU {sku}"),
        })
}

/// Set a SKU's safety-stock rule
///
/// Role: operator. Available below `threshold` raises a `below_safety` alert;
/// `stop_at_safety` refuses holds that would take available below it.
#[utoipa::path(
    put,
    path = "/api/v1/safety-stock/{sku}",
    operation_id = "setSafetyRule",
    tag = "safety",
    params(
        ("sku" = schema::Id, Path),
    ),
    request_body(content = SafetyRule, content_type = "application/json", example = json!({"threshold": 5, "stop_at_safety": true})),
    responses(
        (status = 200, description = "The rule as set.", body = RuleView, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn set(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    ApiJson(rule): ApiJson<SafetyRule>,
) -> Result<Json<RuleView>, ApiError> {
    check_sku(&sku)?;
    rule.validate().map_err(ApiError::invalid)?;
    let body = rule_view(&sku, &rule);
    state
        .call(|reply| Command::SetSafety {
            sku,
            rule: Some(rule),
            reply,
        })
        .await?;
    Ok(Json(body))
}

/// Remove a SKU's safety-stock rule
///
/// Role: operator. Answers 200 whether or not there was a rule.
#[utoipa::path(
    delete,
    path = "/api/v1/safety-stock/{sku}",
    operation_id = "removeSafetyRule",
    tag = "safety",
    params(
        ("sku" = schema::Id, Path),
    ),
    responses(
        (status = 200, description = "Removed.", body = Removed, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn remove(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<Removed>, ApiError> {
    check_sku(&sku)?;
    let body = Removed {
        sku: sku.clone(),
        removed: true,
    };
    state
        .call(|reply| Command::SetSafety {
            sku,
            rule: None,
            reply,
        })
        .await?;
    Ok(Json(body))
}

/// The answer of a removal: the SKU, and `removed`, always true.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Removed {
    sku: String,
    removed: bool,
}
