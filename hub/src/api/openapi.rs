//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API,
//! generated from the code with utoipa: each handler carries its
//! `#[utoipa::path]` (summary and description in its doc comment, its
//! parameters, body and answers), and the types handlers parse and answer
//! with derive `ToSchema` ([`schema`] holds the few described by hand).
//! Built once, on the first request. Open to anyone, so
//! [`super::router_with`] adds it outside the auth layer: it holds no
//! data, and a client reads it before it has a token.
//!
//! Kept true by tests. Here ([`tests`]): every route registered in
//! `api/*.rs` is in the document with the same methods (read from the
//! sources, so a new route without its documentation fails), each
//! operation's role is the one [`super::auth`] enforces, every `$ref`
//! resolves, the request bodies refuse unknown fields where the server
//! does and match the Rust types they are parsed into. In
//! `tests/tests/openapi.rs`: a running hub serves every documented method
//! and path, and answers in the documented shapes. In
//! `tests/tests/schemathesis.rs`: Schemathesis, generating requests from
//! the served document, finds no failure.

pub(crate) mod schema;
mod shared;

pub(crate) use shared::from_json;

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde_json::json;
use std::sync::LazyLock;
use utoipa::openapi::path::Parameter;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{
    schema::SchemaType, OpenApi as Document, RefOr, Required, Schema, SecurityRequirement,
    ServerBuilder, Type,
};
use utoipa::OpenApi;

/// Where it is served.
pub const PATH: &str = "/api/v1/openapi.json";

/// The API's introduction (markdown, as the document's `info.description`):
/// tokens and roles, errors, bodies, units.
const DESCRIPTION: &str = include_str!("openapi/intro.md");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warehouse sync hub HTTP API",
        version = "1",
        description = DESCRIPTION,
        license(name = "see the repository"),
    ),
    paths(
        super::healthz,
        super::metrics,
        self::serve,
        super::whoami::whoami,
        super::stock::all_stock,
        super::stock::one_sku,
        super::stock::availability,
        super::stock::devices,
        super::stock::dead_letters,
        super::reservations::reserve,
        super::reservations::one,
        super::reservations::release,
        super::reservations::confirm,
        super::safety::rules,
        super::safety::one,
        super::safety::set,
        super::safety::remove,
        super::alerts::alerts,
        super::alerts::acknowledge,
        super::changes::fleet,
        super::changes::page,
        super::changes::stream,
        super::exceptions::discrepancies,
        super::exceptions::count_tasks,
        super::lots::suggestions,
        super::orders::place,
        super::orders::list,
        super::orders::one,
        super::orders::paid,
        super::orders::payment_failed,
        super::orders::cancel,
        super::orders::resubmit,
        super::order_access::customer,
        super::customers::split,
        super::order_access::audit,
        super::allocations::make,
        super::allocations::list,
        super::allocations::end,
        super::customers::one,
        super::customers::tags,
        super::customers::merge,
        super::intake::intake,
        super::reconciliations::run,
        super::reconciliations::list,
        super::reconciliations::one,
        super::tasks::list,
        super::labels::batches,
        super::labels::create,
        super::labels::batch,
        super::label_jobs::job,
        super::label_jobs::reprint,
        super::label_jobs::close,
        super::label_jobs::preview,
        super::writebacks::list,
        super::writebacks::retry,
        super::webhooks::list,
        super::webhooks::register,
        super::webhooks::remove,
        super::webhooks::dead_letters,
        super::webhooks::redeliver,
        super::reports::timeliness_report
    ),
    components(
        schemas(super::error::ErrorBody, schema::DeviceEpoch, schema::Device, schema::DeviceList, schema::DeadLetterList, schema::Alert, schema::AlertList, schema::FleetRow, schema::FleetList, schema::FeedEvent, schema::FeedPage, schema::DiscrepancyList, schema::CountTaskList, schema::Reason, schema::Transition, schema::OrderCustomer, schema::Order, schema::TaskPage, schema::Task, schema::TaskLine, schema::OrderPage, schema::CustomerData, schema::ReconciliationSummary, schema::ReconciliationList, schema::ReconciliationReport, schema::GroupReport, schema::KeyedGroupReport, schema::LabelProgress, schema::LabelJob, schema::LabelBatchList, schema::LabelBatch, schema::WritebackList, schema::TimelinessReport, schema::Id, schema::FeedEventName, crate::orders::Service, crate::orders::OrderState, crate::alerts::AlertKind, crate::orders::OrderLine, crate::errors::Shortfall, crate::lots::Allocation),
        responses(schema::BadRequest, schema::Unauthorized, schema::Forbidden, schema::NotFound, schema::MethodNotAllowed, schema::BodyTimeout, schema::Conflict, schema::PayloadTooLarge, schema::UnsupportedMediaType, schema::Unprocessable, schema::Unavailable, schema::StoreFailure, schema::BadGateway),
    ),
    tags(
        (name = "health", description = "Liveness and counters."),
        (name = "stock", description = "Stock per SKU, location and lot; devices; dead letters."),
        (name = "reservations", description = "All-or-nothing holds on available stock."),
        (name = "safety", description = "Safety-stock rules and alerts."),
        (name = "exceptions", description = "Discrepancies, count tasks and pick suggestions."),
        (name = "orders", description = "Orders from shops, their life and their customers."),
        (name = "allocations", description = "Stock set aside for a sales channel."),
        (name = "customers", description = "Customer records (keyed hash, tags; nothing personal)."),
        (name = "reconciliations", description = "The event log against the pool and the ERP."),
        (name = "reports", description = "Reports over committed orders."),
        (name = "tasks", description = "Work queues: pick lists and counts for the handhelds."),
        (name = "labels", description = "Shipping labels: batches, jobs at printer stations, previews."),
        (name = "fleet", description = "The device fleet and the change feed (pushed live)."),
        (name = "webhooks", description = "The change feed pushed to registered URLs, signed, retried, with dead letters."),
        (name = "meta", description = "This document."),
    ),
)]
struct Api;

/// The document: what the derive collects, with what it cannot say.
pub fn document() -> Document {
    let mut doc = Api::openapi();
    doc.servers = Some(vec![ServerBuilder::new()
        .url("http://127.0.0.1:8080")
        .description(Some("the default `http_listen`"))
        .build()]);
    doc.security = Some(vec![SecurityRequirement::new::<_, [&str; 0], &str>(
        "bearer",
        [],
    )]);
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.bearer_format = Some("wms_ and 64 hex digits".into());
    bearer.description = Some(
        "A token made by `hub token create --role viewer|integrator|operator` \
         (or the first start's `DATA/operator-token`)."
            .into(),
    );
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .parameters
                .iter_mut()
                .flatten()
                .for_each(absent_not_null);
            if let Some(body) = operation.request_body.as_mut() {
                optional_body_not_null(body);
            }
        }
    }
    doc
}

/// A body the derive took from an `Option` (it may be left out): its
/// content is the value's, never `null`.
fn optional_body_not_null(body: &mut RequestBody) {
    if body.required == Some(Required::True) {
        return;
    }
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::Object(object))) = content.schema.as_mut() {
            if let SchemaType::Array(types) = &object.schema_type {
                let values: Vec<Type> = types
                    .iter()
                    .filter(|t| **t != Type::Null)
                    .cloned()
                    .collect();
                if let [only] = &values[..] {
                    object.schema_type = SchemaType::Type(only.clone());
                }
            }
        }
    }
}

/// A parameter the derive took from an `Option`: absent when not sent,
/// never `null` (a query string or a header has no null), so its schema
/// is the value's alone.
fn absent_not_null(parameter: &mut Parameter) {
    if parameter.required != Required::False {
        return;
    }
    if let Some(RefOr::T(Schema::OneOf(one_of))) = &parameter.schema {
        let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
        let mut values = one_of.items.iter().filter(|s| !is_null(s));
        if let (Some(value), None) = (values.next(), values.next()) {
            parameter.schema = Some(value.clone());
        }
    }
}

/// The document as served, written once.
static SERVED: LazyLock<String> = LazyLock::new(|| {
    // Our own value, serialized by serde_json: cannot fail.
    serde_json::to_string(&document())
        .unwrap_or_else(|e| json!({"error": e.to_string()}).to_string())
});

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(serve))
}

/// This document
///
/// Role: none, open to anyone without a token (it holds no data). The
/// document is generated from the hub's code when first asked for.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document.", body = inline(schema::OpenapiAnswer200), content_type = "application/json"),
    ),
    security(),
    extensions(("x-role" = json!("none"))),
)]
async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        SERVED.as_str(),
    )
}

#[cfg(test)]
mod tests;
