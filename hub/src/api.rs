//! The HTTP API (axum): JSON under `/api/v1`, errors as
//! `{"error":{"code","message"}}`, `/healthz`, `/metrics`.
//!
//! Handlers only read the store; every write goes through the writer.

use crate::fleet::Fleet;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
}

/// Every way a request can fail; rendered as the brief's JSON error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Nothing at that address.
    #[error("{message}")]
    NotFound {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
    },
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The store failed.
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::NotFound { code, .. } => (StatusCode::NOT_FOUND, *code),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store_failure"),
        };
        let body = json!({"error": {"code": code, "message": self.to_string()}});
        (status, Json(body)).into_response()
    }
}

/// The router with every route of this crate.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/stock", get(all_stock))
        .route("/api/v1/stock/{sku}", get(one_sku))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/dead-letters", get(dead_letters))
        .fallback(not_found)
        .with_state(state)
}

/// 200 once the hub is subscribed to its devices' topics, 503 before
/// (or while the broker connection is down), so "healthy" means "ingesting".
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.metrics.is_subscribed() {
        let body = json!({"status": "ok", "site": state.site});
        (StatusCode::OK, Json(body))
    } else {
        let body = json!({"status": "starting", "site": state.site, "mqtt": "not subscribed"});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}

async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

async fn not_found() -> ApiError {
    ApiError::NotFound {
        code: "not_found",
        message: "no such route".into(),
    }
}

#[derive(Serialize)]
struct SkuStock {
    sku: String,
    on_hand: i64,
    locations: Vec<LocationStock>,
}

#[derive(Serialize)]
struct LocationStock {
    location: String,
    lot: Option<String>,
    on_hand: i64,
}

fn group_by_sku(rows: Vec<crate::store::StockRow>) -> Vec<SkuStock> {
    let mut by_sku: BTreeMap<String, SkuStock> = BTreeMap::new();
    for row in rows {
        let entry = by_sku
            .entry(row.key.sku.clone())
            .or_insert_with(|| SkuStock {
                sku: row.key.sku.clone(),
                on_hand: 0,
                locations: Vec::new(),
            });
        entry.on_hand += row.on_hand;
        entry.locations.push(LocationStock {
            location: row.key.location,
            lot: Some(row.key.lot).filter(|l| !l.is_empty()),
            on_hand: row.on_hand,
        });
    }
    by_sku.into_values().collect()
}

async fn all_stock(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = group_by_sku(state.store.stock_rows(None)?);
    Ok(Json(json!({ "items": items })))
}

async fn one_sku(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<SkuStock>, ApiError> {
    protocol::validate::check_id("sku", &sku).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    group_by_sku(state.store.stock_rows(Some(&sku))?)
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_sku",
            message: format!("no stock recorded for SKU {sku}"),
        })
}

async fn devices(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut presence = state.fleet.all();
    let mut items: Vec<Value> = Vec::new();
    for (device, record) in state.store.devices()? {
        let p = presence.remove(&device);
        items.push(device_json(&device, Some(&record), p.as_ref()));
    }
    for (device, p) in presence {
        items.push(device_json(&device, None, Some(&p)));
    }
    Ok(Json(json!({ "items": items })))
}

fn device_json(
    device: &str,
    record: Option<&crate::pool::DeviceRecord>,
    presence: Option<&crate::fleet::Presence>,
) -> Value {
    let state = match presence.map(|p| p.state) {
        Some(protocol::DeviceState::Online) => "online",
        Some(protocol::DeviceState::Offline) => "offline",
        None => "unknown",
    };
    json!({
        "device": device,
        "watermark": record.map_or(0, |r| r.watermark),
        "last_batch_ms": record.map(|r| r.last_batch_ms),
        "movements_applied": record.map_or(0, |r| r.applied),
        "state": state,
        "last_seen_ms": presence.map(|p| p.seen_ms),
        "reported_backlog": presence.map(|p| p.backlog),
    })
}

async fn dead_letters(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = match query.get("limit") {
        None => 100,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "limit must be an integer from 1 to 1000, got {raw:?}"
                )))
            }
        },
    };
    let items: Vec<Value> = state
        .store
        .dead_letters(limit)?
        .into_iter()
        .map(|(id, d)| {
            json!({
                "id": id,
                "topic": d.topic,
                "reason": d.reason,
                "received_ms": d.received_ms,
                "size": d.payload.len(),
                "payload_hex": hex(&d.payload[..d.payload.len().min(4096)]),
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
