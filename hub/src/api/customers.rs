//! `/api/v1/customers`: one customer's record (keyed hash, tags, order
//! count, first and last order, archived or not: nothing personal), its
//! tags (operator), merging two records of one person and splitting an
//! order off to a record of its own (operator, with a reason, audited).

use super::{ApiError, ApiJson, AppState};
use crate::orders::Customer;
use crate::tokens::Holder;
use crate::writer::customers::CustomerCommand;
use crate::writer::Command;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{key}", get(one))
        .route("/api/v1/customers/{key}/tags", put(tags))
        .route("/api/v1/customers/{key}/merge", post(merge))
        .route("/api/v1/orders/{id}/split-customer", post(split))
}

fn view(c: &Customer) -> Value {
    json!({"key": c.key, "tags": c.tags, "orders": c.orders, "first_ms": c.first_ms,
           "last_ms": c.last_ms, "archived": c.wrapped_key.is_none()})
}

fn check_key(key: &str) -> Result<(), ApiError> {
    let ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("a customer key is 64 hex digits"))
    }
}

async fn one(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_key(&key)?;
    state
        .store
        .customer(&key)?
        .map(|c| Json(view(&c)))
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_customer",
            message: format!("no customer {key}"),
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagsBody {
    tags: Vec<String>,
}

async fn tags(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<TagsBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&key)?;
    let (tags, who) = (body.tags, holder.name);
    let c = state
        .call(|reply| {
            Command::Customer(CustomerCommand::SetTags {
                key,
                tags,
                who,
                reply,
            })
        })
        .await?;
    Ok(Json(view(&c)))
}

/// Merges and splits are audited with their reason.
const REASON_NEEDED: &str = "a reason of 1 to 200 characters is required (it is audited)";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    into: String,
    reason: String,
}

async fn merge(
    State(state): State<AppState>,
    Path(from): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Value>, ApiError> {
    check_key(&from)?;
    check_key(&body.into)?;
    let reason = super::error::reason(&body.reason, REASON_NEEDED)?;
    let (into, who) = (body.into, holder.name);
    let c = state
        .call(|reply| {
            Command::Customer(CustomerCommand::Merge {
                from,
                into,
                who,
                reason,
                reply,
            })
        })
        .await?;
    Ok(Json(view(&c)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    reason: String,
}

async fn split(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<SplitBody>,
) -> Result<Json<Value>, ApiError> {
    let order = super::error::id(&raw, "order id")?;
    let reason = super::error::reason(&body.reason, REASON_NEEDED)?;
    let who = holder.name;
    let c = state
        .call(|reply| {
            Command::Customer(CustomerCommand::Split {
                order,
                who,
                reason,
                reply,
            })
        })
        .await?;
    Ok(Json(view(&c)))
}
