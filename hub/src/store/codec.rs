//! How the hub's records are written as sled keys and values.
//!
//! Every value is a [`storeseal::frame`] of format [`STORAGE_VERSION`]: a
//! format byte, the CRC32 of the body, then the body (postcard for records,
//! i64 BE for stock and counters, JSON for reports). A damaged value is
//! named with its key, never decoded into wrong stock.

use crate::pool::StockKey;
use crate::store::StoreError;
use serde::{de::DeserializeOwned, Serialize};

/// Format byte of every stored value (1 was unframed, without CRC; 2 kept
/// one watermark per device, before journal epochs: such a store is
/// refused at open, its first value naming format 2).
pub(crate) const STORAGE_VERSION: u8 = 3;

pub(crate) fn prefixed(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(rest.len() + 1);
    key.push(prefix);
    key.extend_from_slice(rest);
    key
}

pub(crate) fn id_key(prefix: u8, id: u64) -> Vec<u8> {
    prefixed(prefix, &id.to_be_bytes())
}

pub(crate) fn stock_key(key: &StockKey) -> Vec<u8> {
    prefixed(
        b's',
        format!("{}\0{}\0{}", key.sku, key.location, key.lot).as_bytes(),
    )
}

pub(crate) fn parse_stock_key(raw: &[u8]) -> Result<StockKey, StoreError> {
    let text = std::str::from_utf8(&raw[1..]).map_err(|_| damaged(raw, "not UTF-8"))?;
    let mut parts = text.split('\0');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(sku), Some(location), Some(lot), None) => Ok(StockKey {
            sku: sku.to_string(),
            location: location.to_string(),
            lot: lot.to_string(),
        }),
        _ => Err(damaged(raw, "stock key has not three parts")),
    }
}

/// A framed i64 (stock, counters).
pub(crate) fn encode_i64(value: i64) -> Vec<u8> {
    storeseal::frame(STORAGE_VERSION, &value.to_be_bytes())
}

pub(crate) fn i64_of(key: &[u8], value: &[u8]) -> Result<i64, StoreError> {
    let body = unframe(key, value)?;
    let bytes: [u8; 8] = body.try_into().map_err(|_| damaged(key, "not 8 bytes"))?;
    Ok(i64::from_be_bytes(bytes))
}

/// The body of a framed value, or the damage named with its key.
pub(crate) fn unframe<'a>(key: &[u8], value: &'a [u8]) -> Result<&'a [u8], StoreError> {
    storeseal::unframe(STORAGE_VERSION, value).map_err(|e| damaged(key, &e.to_string()))
}

pub(crate) fn id_of(key: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = key
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged(key, "id is not 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our own record types always serialize.
    let body = postcard::to_allocvec(value).unwrap_or_default();
    storeseal::frame(STORAGE_VERSION, &body)
}

pub(crate) fn decode<T: DeserializeOwned>(key: &[u8], raw: &[u8]) -> Result<T, StoreError> {
    let body = unframe(key, raw)?;
    postcard::from_bytes(body).map_err(|e| damaged(key, &e.to_string()))
}

pub(crate) fn damaged(key: &[u8], problem: &str) -> StoreError {
    StoreError::Damaged {
        key: String::from_utf8_lossy(key).escape_debug().to_string(),
        problem: problem.to_string(),
    }
}
