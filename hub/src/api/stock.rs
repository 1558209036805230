//! Stock, devices and dead letters: read-only views of the committed store.
//! A device shows once, with its watermark per journal epoch.
//! Stock per SKU carries `reserved` and `available` (on hand - reserved);
//! reservations are per SKU, so per location it shows on hand.

use super::error::limit;
use super::openapi::schema;
use super::{list_body, ApiError, AppState};
use crate::pool::DeviceRecord;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stock", get(all_stock))
        .route("/api/v1/stock/{sku}", get(one_sku))
        .route("/api/v1/availability/{sku}", get(availability))
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/dead-letters", get(dead_letters))
}

/// A SKU's stock: `available` is on hand - reserved.
#[derive(Serialize, utoipa::ToSchema)]
struct SkuStock {
    sku: String,
    on_hand: i64,
    reserved: i64,
    available: i64,
    locations: Vec<LocationStock>,
}

/// On hand at one location (and lot, when the SKU has lots).
#[derive(Serialize, utoipa::ToSchema)]
struct LocationStock {
    location: String,
    lot: Option<String>,
    on_hand: i64,
}

fn group_by_sku(
    rows: Vec<crate::store::StockRow>,
    mut reserved: BTreeMap<String, i64>,
) -> Vec<SkuStock> {
    let mut by_sku: BTreeMap<String, SkuStock> = BTreeMap::new();
    for row in rows {
        let entry = by_sku
            .entry(row.key.sku.clone())
            .or_insert_with(|| SkuStock {
                reserved: reserved.remove(&row.key.sku).unwrap_or(0),
                sku: row.key.sku.clone(),
                on_hand: 0,
                available: 0,
                locations: Vec::new(),
            });
        entry.on_hand += row.on_hand;
        entry.locations.push(LocationStock {
            location: row.key.location,
            lot: Some(row.key.lot).filter(|l| !l.is_empty()),
            on_hand: row.on_hand,
        });
    }
    // Held stock of a SKU whose on hand is now zero still shows.
    for (sku, reserved) in reserved {
        by_sku.insert(
            sku.clone(),
            SkuStock {
                sku,
                on_hand: 0,
                reserved,
                available: 0,
                locations: Vec::new(),
            },
        );
    }
    let mut out: Vec<SkuStock> = by_sku.into_values().collect();
    for s in &mut out {
        s.available = s.on_hand - s.reserved;
    }
    out
}

/// Stock of every SKU
///
/// Role: viewer. Per SKU: on hand, reserved, available (on hand - reserved) and
/// on hand per location and lot, from the committed store, sorted by SKU. A SKU
/// with held stock but nothing on hand still shows.
#[utoipa::path(
    get,
    path = "/api/v1/stock",
    operation_id = "listStock",
    tag = "stock",
    responses(
        (status = 200, description = "Every SKU.", body = super::Items<SkuStock>, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn all_stock(State(state): State<AppState>) -> Result<Response, ApiError> {
    let reserved = state.reserved.all();
    let items = group_by_sku(state.store.stock_rows(None)?, reserved);
    Ok(list_body(items))
}

/// Stock of one SKU
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/stock/{sku}",
    operation_id = "getStock",
    tag = "stock",
    params(
        ("sku" = schema::Id, Path),
    ),
    responses(
        (status = 200, description = "The SKU.", body = SkuStock, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 404, response = schema::NotFound),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn one_sku(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<SkuStock>, ApiError> {
    protocol::validate::check_id("sku", &sku).map_err(|e| ApiError::invalid(e.to_string()))?;
    let reserved = Some(state.reserved.of(&sku))
        .filter(|&r| r != 0)
        .map(|r| (sku.clone(), r))
        .into_iter()
        .collect();
    group_by_sku(state.store.stock_rows(Some(&sku))?, reserved)
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound {
            code: "unknown_sku",
            message: format!("no stock recorded for SKU {sku}"),
        })
}

/// Live availability of one SKU
///
/// Role: viewer. Asked of the writer (live, not the committed store): per SKU
/// on hand - reserved, per location on hand - allocated. A SKU the pool has
/// never seen is a 422 `unknown_sku` (while `GET /api/v1/stock/{sku}` answers
/// 404 for it).
// Live from the writer: per SKU on hand - reserved, per location on hand
// - allocated (see [`crate::availability`]).
#[utoipa::path(
    get,
    path = "/api/v1/availability/{sku}",
    operation_id = "getAvailability",
    tag = "stock",
    params(
        ("sku" = schema::Id, Path),
    ),
    responses(
        (status = 200, description = "The SKU's availability.", body = crate::availability::Availability, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn availability(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<crate::availability::Availability>, ApiError> {
    protocol::validate::check_id("sku", &sku).map_err(|e| ApiError::invalid(e.to_string()))?;
    let found = state
        .call(|reply| crate::writer::Command::Availability { sku, reply })
        .await?;
    Ok(Json(found))
}

/// Devices, their watermarks per journal epoch and presence
///
/// Role: viewer.
#[utoipa::path(
    get,
    path = "/api/v1/devices",
    operation_id = "listDevices",
    tag = "stock",
    responses(
        (status = 200, description = "Every device that sent a batch or a status.", body = schema::DeviceList, content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn devices(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut presence = state.fleet.all();
    let held = state.fleet.queues_held();
    let mut by_device: BTreeMap<String, Vec<(u64, DeviceRecord)>> = BTreeMap::new();
    for (stream, record) in state.store.devices()? {
        by_device
            .entry(stream.device)
            .or_default()
            .push((stream.epoch, record));
    }
    let mut items: Vec<Value> = Vec::new();
    for (device, epochs) in by_device {
        let p = presence.remove(&device);
        let queue = held.get(&device).copied();
        items.push(device_json(&device, epochs, p.as_ref(), queue));
    }
    for (device, p) in presence {
        let queue = held.get(&device).copied();
        items.push(device_json(&device, Vec::new(), Some(&p), queue));
    }
    Ok(list_body(items))
}

/// One device: its current epoch (the one that applied last) and that
/// epoch's watermark up front, every epoch it has used under `epochs`
/// (epochs as 16 hex digits: a u64 does not fit a JSON number exactly).
fn device_json(
    device: &str,
    mut epochs: Vec<(u64, DeviceRecord)>,
    presence: Option<&crate::devices::fleet::Presence>,
    queue_held: Option<u64>,
) -> Value {
    let state = match presence.map(|p| p.state) {
        Some(protocol::DeviceState::Online) => "online",
        Some(protocol::DeviceState::Offline) => "offline",
        None => "unknown",
    };
    epochs.sort_by_key(|(epoch, r)| (r.last_batch_ms, *epoch));
    let current = epochs.last();
    let listed: Vec<Value> = epochs
        .iter()
        .map(|(epoch, r)| {
            json!({
                "epoch": format!("{epoch:016x}"),
                "watermark": r.watermark,
                "last_batch_ms": r.last_batch_ms,
                "movements_applied": r.applied,
                "conflicts": r.conflicts,
            })
        })
        .collect();
    json!({
        "device": device,
        "epoch": current.map(|(epoch, _)| format!("{epoch:016x}")),
        "watermark": current.map_or(0, |(_, r)| r.watermark),
        "last_batch_ms": current.map(|(_, r)| r.last_batch_ms),
        "movements_applied": epochs.iter().map(|(_, r)| r.applied).sum::<u64>(),
        "conflicts": epochs.iter().map(|(_, r)| r.conflicts).sum::<u64>(),
        "epochs": listed,
        "state": state,
        "last_seen_ms": presence.map(|p| p.seen_ms),
        "reported_backlog": presence.map(|p| p.backlog),
        "queue_version_held": queue_held,
    })
}

/// Refused MQTT payloads, with the reason
///
/// Role: viewer. Newest first; at most the first 4096 bytes of each payload, in
/// hex.
#[utoipa::path(
    get,
    path = "/api/v1/dead-letters",
    operation_id = "listDeadLetters",
    tag = "stock",
    params(
        ("limit" = inline(Option<schema::LimitParam>), Query, description = "At most this many items."),
    ),
    responses(
        (status = 200, description = "The dead letters.", body = schema::DeadLetterList, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 500, response = schema::StoreFailure),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn dead_letters(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = limit(query.get("limit"))?;
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
    Ok(list_body(items))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
