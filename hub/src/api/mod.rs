//! The HTTP API (axum): JSON under `/api/v1`, errors as
//! `{"error":{"code","message"}}` ([`error::ApiError`]), `/healthz`,
//! `/metrics`. One module per resource. Every route but `/healthz` and
//! `/api/v1/openapi.json` (the API's description, [`openapi`]) needs a
//! bearer token with a role, checked by the [`auth`] layer before the
//! handler runs. Before that, [`framing`] bounds every request body in
//! size and time and refuses ambiguous framing, and [`serve`] bounds the
//! connections themselves.
//!
//! Handlers read only the store (committed state). Every change (and every
//! read that must see the writer's live state) is a [`Command`] sent to the
//! single writer; the handler gets its answer after the group's flush.

mod alerts;
mod allocations;
pub mod auth;
mod changes;
mod conn;
mod customers;
mod docs;
mod error;
mod exceptions;
pub mod framing;
mod http_metrics;
mod intake;
mod json;
mod label_jobs;
mod labels;
mod lots;
pub(crate) mod openapi;
mod order_access;
mod orders;
mod parse_errors;
mod reconciliations;
mod reports;
pub mod reservations;
mod safety;
pub mod serve;
mod stock;
mod tasks;
mod waybills;
mod webhooks;
mod whoami;
mod writebacks;

pub use error::ApiError;
pub use framing::BodyRules;
pub use json::{parse_strict, ApiJson};

/// A list answer, `{"items": [...]}`, serialized straight into the body:
/// no `serde_json::Value` tree in between (for 72,000 stock rows that tree
/// was 44 MB, and the hub's memory never gave it back).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Items<T> {
    items: Vec<T>,
}

fn list_body<T: serde::Serialize>(items: Vec<T>) -> axum::response::Response {
    use axum::response::IntoResponse;
    Json(Items { items }).into_response()
}

use crate::devices::fleet::Fleet;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::tokens::Tokens;
use crate::writer::{Command, Reply};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use openapi::schema;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The hub's store (read only here).
    pub store: Store,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Live device presence.
    pub fleet: Arc<Fleet>,
    /// The site this hub owns.
    pub site: String,
    /// The single writer's queue.
    pub commands: mpsc::Sender<Command>,
    /// Reserved totals as last committed.
    pub reserved: Arc<crate::writer::reserved_view::ReservedView>,
    /// The configured ERP stock file, if any.
    pub erp_stock_csv: Option<PathBuf>,
    /// The live API tokens.
    pub tokens: Tokens,
    /// What `/healthz` checks.
    pub health: Arc<crate::health::Health>,
    /// The site's time minus UTC, minutes (reports' default).
    pub site_utc_offset_minutes: i32,
    /// The division table orders' addresses are recognised against.
    pub regions: Arc<crate::orders::clean::Regions>,
    /// Shipping labels: stations and the sender printed.
    pub labels: Arc<crate::printing::LabelsConfig>,
    /// The carrier asked for waybill numbers, if one is configured.
    pub carrier: Option<Arc<dyn crate::carriers::Carrier>>,
    /// Tracking numbers still owed to shop platforms.
    pub writebacks: crate::writeback::worker::Writebacks,
    /// Each durable group's change-feed events (the changes stream
    /// listens).
    pub feed: crate::feed::FeedBus,
    /// The registered webhooks (their worker is the hub's part
    /// `webhooks`).
    pub webhooks: crate::webhooks::Webhooks,
    /// Cancelled when the hub stops: long-lived answers (streams) end.
    pub cancel: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// Sends a command to the writer and waits for its answer, which comes
    /// only after the group holding it is durable.
    pub async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, ApiError> {
        Ok(crate::writer::call(&self.commands, make).await?)
    }
}

/// The OpenAPI document this build serves at `/api/v1/openapi.json`, as
/// JSON (for tests that check a running hub against it).
pub fn openapi_document() -> serde_json::Value {
    serde_json::to_value(openapi::document()).unwrap_or_default()
}

/// The router with every route of this crate, with the default body
/// limits.
pub fn router(state: AppState) -> Router {
    router_with(state, BodyRules::default())
}

/// The router with every route of this crate.
pub fn router_with(state: AppState, rules: BodyRules) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(stock::routes())
        .merge(reservations::routes())
        .merge(safety::routes())
        .merge(alerts::routes())
        .merge(changes::routes())
        .merge(exceptions::routes())
        .merge(lots::routes())
        .merge(orders::routes())
        .merge(order_access::routes())
        .merge(allocations::routes())
        .merge(customers::routes())
        .merge(intake::routes())
        .merge(reconciliations::routes())
        .merge(reports::routes())
        .merge(tasks::routes())
        .merge(labels::routes())
        .merge(label_jobs::routes())
        .merge(writebacks::routes())
        .merge(whoami::routes())
        .merge(webhooks::routes())
        .fallback(not_found)
        // `layer` (not `route_layer`): the fallback is checked too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::check,
        ))
        // After the auth layer, so outside it: the API's description is
        // open (it holds no data).
        .merge(openapi::routes())
        .merge(docs::routes())
        .merge(crate::dashboard::routes())
        // Bodies are bounded by `framing` (per route), not by axum's default.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(rules, framing::check))
        .layer(axum::middleware::map_response(framing::json_errors))
        // Outermost: times every answer, refusals included.
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            http_metrics::observe,
        ))
        .with_state(state)
}

/// Whether every part of the hub works
///
/// Role: none, open to anyone without a token (load balancers and supervisors
/// ask it). 200 while every part works, 503 naming each part that does not
/// (writer, store commits, disk space, broker connection, a stopped or stuck
/// task). Its 503 body is this route's own, not the error format.
// 200 while every part of the hub works ([`crate::health`]), else 503
// with one line per problem, naming the part. Broker restarts are shown
// either way.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    responses(
        (status = 200, description = "Healthy.", body = Health, content_type = "application/json"),
        (status = 503, description = "Something is wrong; `problems` has one line per part.", body = Health, content_type = "application/json"),
    ),
    security(),
    extensions(("x-role" = json!("none"))),
)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let broker_restarts = state.metrics.broker_restarts.load(Ordering::Relaxed);
    let problems = state.health.problems().await;
    let (code, status) = match problems.is_empty() {
        true => (StatusCode::OK, HealthStatus::Ok),
        false => (StatusCode::SERVICE_UNAVAILABLE, HealthStatus::Unhealthy),
    };
    let body = Health {
        status,
        site: state.site.clone(),
        broker_restarts,
        problems,
    };
    (code, Json(body))
}

/// The answer of `/healthz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: HealthStatus,
    site: String,
    broker_restarts: u64,
    /// One line per part that does not work (only when unhealthy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum HealthStatus {
    Ok,
    Unhealthy,
}

/// Prometheus metrics
///
/// Role: viewer. Counters, gauges and histograms (all named wms_...) in the
/// Prometheus text format, version 0.0.4.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "health",
    responses(
        (status = 200, description = "The metrics.", body = String, content_type = "text/plain"),
        (status = 401, response = schema::Unauthorized),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn metrics(State(state): State<AppState>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let scraped = crate::metrics::Scraped {
        fleet: &state.fleet,
    };
    let body = crate::metrics::render(&state.metrics, scraped).map_err(|e| ApiError::Refused {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "metrics_failed",
        message: format!("metrics not encoded: {e}"),
    })?;
    let content_type = [(
        axum::http::header::CONTENT_TYPE,
        crate::metrics::CONTENT_TYPE,
    )];
    Ok((content_type, body).into_response())
}

async fn not_found() -> ApiError {
    ApiError::NotFound {
        code: "not_found",
        message: "no such route".into(),
    }
}
