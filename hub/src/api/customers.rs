//! `/api/v1/customers`: one customer's record (keyed hash, tags, order
//! count, first and last order, archived or not: nothing personal), its
//! tags (operator), merging two records of one person and splitting an
//! order off to a record of its own (operator, with a reason, audited).

use super::openapi::schema;
use super::{ApiError, ApiJson, AppState};
use crate::orders::Customer;
use crate::tokens::Holder;
use crate::writer::customers::CustomerCommand;
use crate::writer::Command;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{key}", get(one))
        .route("/api/v1/customers/{key}/tags", put(tags))
        .route("/api/v1/customers/{key}/merge", post(merge))
        .route("/api/v1/orders/{id}/split-customer", post(split))
}

fn view(c: &Customer) -> CustomerRecord {
    CustomerRecord {
        key: c.key.clone(),
        tags: c.tags.clone(),
        orders: c.orders,
        first_ms: c.first_ms,
        last_ms: c.last_ms,
        archived: c.wrapped_key.is_none(),
    }
}

fn check_key(key: &str) -> Result<(), ApiError> {
    let ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("a customer key is 64 hex digits"))
    }
}

/// One customer record
///
/// Role: viewer. Nothing personal: the keyed hash, tags, order count, first and
/// last order, archived.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{key}",
    operation_id = "getCustomer",
    tag = "customers",
    params(
        ("key" = inline(schema::KeyParam), Path, description = "The customer's keyed hash (else 400)."),
    ),
    responses(
        (status = 200, description = "The record.", body = CustomerRecord, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn one(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<CustomerRecord>, ApiError> {
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TagsBody {
    #[schema(value_type = Vec<hub_core::openapi::Id>, max_items = 20)]
    tags: Vec<String>,
}

/// Set a customer's tags
///
/// Role: operator (audited). At most 20 tags. An unknown customer is a 404
/// `unknown_customer`.
#[utoipa::path(
    put,
    path = "/api/v1/customers/{key}/tags",
    operation_id = "setCustomerTags",
    tag = "customers",
    params(
        ("key" = inline(schema::KeyParam), Path, description = "The customer's keyed hash (else 400)."),
    ),
    request_body(content = TagsBody, content_type = "application/json", example = json!({"tags": ["frequent_returns"]})),
    responses(
        (status = 200, description = "The record.", body = CustomerRecord, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn tags(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<TagsBody>,
) -> Result<Json<CustomerRecord>, ApiError> {
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The record to keep.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    into: String,
    /// 1 to 200 characters once trimmed; audited.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    reason: String,
}

/// Merge this customer record into another of the same person
///
/// Role: operator, stating a reason (audited). The moved orders' data is sealed
/// again under the kept record's key. An unknown customer (either one) is a 404
/// `unknown_customer`; an archived one, or a record merged into itself, a 400.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{key}/merge",
    operation_id = "mergeCustomer",
    tag = "customers",
    params(
        ("key" = inline(schema::KeyParam), Path, description = "The customer's keyed hash (else 400)."),
    ),
    request_body(content = MergeBody, content_type = "application/json", example = json!({"into": "0000000000000000000000000000000000000000000000000000000000000000", "reason": "same person, new phone"})),
    responses(
        (status = 200, description = "The kept record.", body = CustomerRecord, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn merge(
    State(state): State<AppState>,
    Path(from): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<CustomerRecord>, ApiError> {
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = ReasonBody)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    /// 1 to 200 characters once trimmed; audited.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    reason: String,
}

/// Give an order a customer record of its own
///
/// Role: operator, stating a reason (audited). The order's data is sealed again
/// under the new record's key.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/split-customer",
    operation_id = "splitCustomer",
    tag = "customers",
    params(
        ("id" = inline(schema::IdParam), Path, description = "Digits only, no sign, no leading zero (else 400)."),
    ),
    request_body(content = SplitBody, content_type = "application/json", example = json!({"reason": "two people share the phone"})),
    responses(
        (status = 200, description = "The new customer record.", body = CustomerRecord, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("operator"))),
)]
async fn split(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Extension(holder): Extension<Holder>,
    ApiJson(body): ApiJson<SplitBody>,
) -> Result<Json<CustomerRecord>, ApiError> {
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

/// A customer record as answered: its keyed hash, tags and order counts,
/// nothing personal (`archived`: its data key is gone).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct CustomerRecord {
    key: String,
    tags: Vec<String>,
    orders: u64,
    first_ms: u64,
    last_ms: u64,
    archived: bool,
}
