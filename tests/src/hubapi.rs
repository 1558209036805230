//! Reading the hub's JSON API into plain Rust values for assertions.

use crate::http;
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// (sku, location, lot or "") -> on hand, from `GET /api/v1/stock`.
pub fn stock(addr: SocketAddr) -> Result<BTreeMap<(String, String, String), i64>, String> {
    let body = http::get(addr, "/api/v1/stock")
        .map_err(|e| e.to_string())?
        .json()?;
    let mut out = BTreeMap::new();
    for item in body["items"].as_array().ok_or("no items")? {
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

/// A device's durable watermark from `GET /api/v1/devices` (0 if unknown).
pub fn watermark(addr: SocketAddr, device: &str) -> Result<u64, String> {
    let body = http::get(addr, "/api/v1/devices")
        .map_err(|e| e.to_string())?
        .json()?;
    Ok(body["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .find(|d| d["device"] == device)
        .and_then(|d| d["watermark"].as_u64())
        .unwrap_or(0))
}

/// Every device's durable watermark from `GET /api/v1/devices`.
pub fn watermarks(addr: SocketAddr) -> Result<BTreeMap<String, u64>, String> {
    let body = http::get(addr, "/api/v1/devices")
        .map_err(|e| e.to_string())?
        .json()?;
    Ok(body["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .filter_map(|d| Some((d["device"].as_str()?.to_string(), d["watermark"].as_u64()?)))
        .collect())
}

/// Dead letters, newest first: (topic, reason).
pub fn dead_letters(addr: SocketAddr) -> Result<Vec<(String, String)>, String> {
    let body = http::get(addr, "/api/v1/dead-letters")
        .map_err(|e| e.to_string())?
        .json()?;
    Ok(body["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .map(|d| {
            (
                d["topic"].as_str().unwrap_or("").to_string(),
                d["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}
