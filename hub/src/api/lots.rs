//! `/api/v1/pick-suggestions?sku=S&quantity=N`: where to pick, first
//! expiring lot first (FEFO), FIFO by receipt where lots have no expiry.
//! Asked of the writer, which knows what confirmed reservations were
//! already told to pick.

use super::openapi::schema;
use super::{ApiError, AppState};
use crate::writer::Command;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/pick-suggestions", get(suggestions))
}

/// Where to pick: first expiring lot first (FEFO)
///
/// Role: viewer. FIFO by receipt where lots have no expiry; asked of the
/// writer, which knows what confirmed reservations were already told to pick. A
/// SKU never seen is a 422 `unknown_sku`.
#[utoipa::path(
    get,
    path = "/api/v1/pick-suggestions",
    operation_id = "pickSuggestions",
    tag = "exceptions",
    params(
        ("sku" = schema::Id, Query),
        ("quantity" = inline(schema::QuantityParam), Query),
    ),
    responses(
        (status = 200, description = "The suggestions; `covered` may be below `quantity`.", body = PickSuggestions, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn suggestions(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<PickSuggestions>, ApiError> {
    let sku = query
        .get("sku")
        .ok_or_else(|| ApiError::invalid("sku is required"))?
        .clone();
    protocol::validate::check_id("sku", &sku).map_err(|e| ApiError::invalid(e.to_string()))?;
    let raw = query
        .get("quantity")
        .ok_or_else(|| ApiError::invalid("quantity is required"))?;
    let quantity = match super::error::strict_u64(raw).and_then(|q| i64::try_from(q).ok()) {
        Some(q) if (1..=protocol::MAX_QUANTITY).contains(&q) => q,
        _ => {
            return Err(ApiError::invalid(format!(
                "quantity must be 1 to {}, got {raw:?}",
                protocol::MAX_QUANTITY
            )))
        }
    };
    let sku_for_call = sku.clone();
    let picks = state
        .call(|reply| Command::Suggest {
            sku: sku_for_call,
            quantity,
            reply,
        })
        .await?;
    let covered: i64 = picks.iter().map(|a| a.quantity).sum();
    Ok(Json(PickSuggestions {
        sku,
        quantity,
        covered,
        suggestions: picks,
    }))
}

/// Where to pick a quantity of a SKU, FEFO; `covered` may be below
/// `quantity`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct PickSuggestions {
    sku: String,
    quantity: i64,
    covered: i64,
    suggestions: Vec<crate::lots::Allocation>,
}
