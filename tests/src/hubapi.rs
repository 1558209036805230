//! Reading the hub's JSON API into plain Rust values for assertions.

use crate::http;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The `items` array of a list endpoint.
pub fn items(addr: SocketAddr, path: &str) -> Result<Vec<Value>, String> {
    let mut body = http::get(addr, path).map_err(|e| e.to_string())?.json()?;
    match body["items"].take() {
        Value::Array(items) => Ok(items),
        _ => Err(format!("{path}: no items in {body}")),
    }
}

/// (sku, location, lot or "") -> on hand, from `GET /api/v1/stock`.
pub fn stock(addr: SocketAddr) -> Result<BTreeMap<(String, String, String), i64>, String> {
    let mut out = BTreeMap::new();
    for item in items(addr, "/api/v1/stock")? {
        let sku = item["sku"].as_str().ok_or("no sku")?.to_string();
        for loc in item["locations"].as_array().ok_or("no locations")? {
            let location = loc["location"].as_str().ok_or("no location")?.to_string();
            let lot = loc["lot"].as_str().unwrap_or("").to_string();
            let on_hand = loc["on_hand"].as_i64().ok_or("no on_hand")?;
            out.insert((sku.clone(), location, lot), on_hand);
        }
    }
    Ok(out)
}

/// A device's durable watermark in its current journal epoch (the one that
/// applied last) from `GET /api/v1/devices` (0 if unknown).
pub fn watermark(addr: SocketAddr, device: &str) -> Result<u64, String> {
    Ok(watermarks(addr)?.get(device).copied().unwrap_or(0))
}

/// Every device's durable watermark from `GET /api/v1/devices`.
pub fn watermarks(addr: SocketAddr) -> Result<BTreeMap<String, u64>, String> {
    Ok(items(addr, "/api/v1/devices")?
        .iter()
        .filter_map(|d| Some((d["device"].as_str()?.to_string(), d["watermark"].as_u64()?)))
        .collect())
}

/// One device's journal epochs from `GET /api/v1/devices`: epoch ->
/// (watermark, conflicts). Empty if the device is unknown.
pub fn epochs(addr: SocketAddr, device: &str) -> Result<BTreeMap<u64, (u64, u64)>, String> {
    let items = items(addr, "/api/v1/devices")?;
    let Some(found) = items.iter().find(|d| d["device"] == device) else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for e in found["epochs"].as_array().ok_or("no epochs")? {
        let hex = e["epoch"].as_str().ok_or("no epoch")?;
        let epoch = u64::from_str_radix(hex, 16).map_err(|_| format!("epoch {hex:?}"))?;
        let watermark = e["watermark"].as_u64().ok_or("no watermark")?;
        let conflicts = e["conflicts"].as_u64().ok_or("no conflicts")?;
        out.insert(epoch, (watermark, conflicts));
    }
    Ok(out)
}

/// A device's watermark in one journal epoch (0 if unknown).
pub fn epoch_watermark(addr: SocketAddr, device: &str, epoch: u64) -> Result<u64, String> {
    Ok(epochs(addr, device)?.get(&epoch).map_or(0, |&(w, _)| w))
}

/// Alerts, newest first: (kind, message).
pub fn alerts(addr: SocketAddr) -> Result<Vec<(String, String)>, String> {
    let text = |d: &Value, field: &str| d[field].as_str().unwrap_or("").to_string();
    Ok(items(addr, "/api/v1/alerts")?
        .iter()
        .map(|a| (text(a, "kind"), text(a, "message")))
        .collect())
}

/// Dead letters, newest first: (topic, reason).
pub fn dead_letters(addr: SocketAddr) -> Result<Vec<(String, String)>, String> {
    let text = |d: &Value, field: &str| d[field].as_str().unwrap_or("").to_string();
    Ok(items(addr, "/api/v1/dead-letters")?
        .iter()
        .map(|d| (text(d, "topic"), text(d, "reason")))
        .collect())
}

/// A device's presence (`online`, `offline` or `unknown`) from `GET
/// /api/v1/devices`; `None` if the hub lists no such device.
pub fn device_state(addr: SocketAddr, device: &str) -> Result<Option<String>, String> {
    Ok(items(addr, "/api/v1/devices")?
        .iter()
        .find(|d| d["device"].as_str() == Some(device))
        .and_then(|d| d["state"].as_str().map(str::to_string)))
}

/// One counter from `GET /metrics` (0 if the hub does not list it).
pub fn metric(addr: SocketAddr, name: &str) -> Result<u64, String> {
    let body = http::get(addr, "/metrics").map_err(|e| e.to_string())?.body;
    for line in body.lines() {
        if let Some(value) = line.strip_prefix(name).and_then(|r| r.strip_prefix(' ')) {
            return value.trim().parse().map_err(|e| format!("{name}: {e}"));
        }
    }
    Ok(0)
}
