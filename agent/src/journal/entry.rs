//! How the journal's keys and values are laid out in its sled tree.
//!
//! Key `0x00 ++ name` holds metadata (`next_seq`, `acked`, `epoch`: a u64
//! BE),
//! key `0x01 ++ seq (u64 BE)` holds an entry: the postcard-encoded
//! [`protocol::Movement`]. Every value is a [`storeseal::frame`] of format
//! [`STORAGE_VERSION`] (format byte, CRC32, body), so a damaged value is
//! named, never decoded into a wrong movement.

use super::JournalError;
use protocol::Movement;

/// Format byte in front of every stored value (1 was unframed, without CRC).
pub const STORAGE_VERSION: u8 = 2;

pub(crate) const META_NEXT_SEQ: &[u8] = b"\x00next_seq";
pub(crate) const META_ACKED: &[u8] = b"\x00acked";
pub(crate) const META_EPOCH: &[u8] = b"\x00epoch";
pub(crate) const ENTRY_PREFIX: u8 = 0x01;

pub(crate) fn entry_key(seq: u64) -> [u8; 9] {
    let mut key = [ENTRY_PREFIX; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

pub(crate) fn key_seq(key: &[u8]) -> Option<u64> {
    match key {
        [ENTRY_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

pub(crate) fn encode_entry(movement: &Movement) -> Result<Vec<u8>, JournalError> {
    let body = postcard::to_allocvec(movement).map_err(|e| JournalError::Encode(e.to_string()))?;
    Ok(storeseal::frame(STORAGE_VERSION, &body))
}

pub(crate) fn decode_entry(seq: u64, value: &[u8]) -> Result<Movement, JournalError> {
    let corrupt = |reason: String| JournalError::CorruptEntry { seq, reason };
    if value.is_empty() {
        return Err(corrupt("empty value".into()));
    }
    let body = storeseal::unframe(STORAGE_VERSION, value).map_err(|e| corrupt(e.to_string()))?;
    let movement: Movement =
        postcard::from_bytes(body).map_err(|e| corrupt(format!("undecodable: {e}")))?;
    if movement.seq != seq {
        return Err(corrupt(format!(
            "holds seq {} under key {seq}",
            movement.seq
        )));
    }
    Ok(movement)
}

pub(crate) fn encode_meta(value: u64) -> Vec<u8> {
    storeseal::frame(STORAGE_VERSION, &value.to_be_bytes())
}

pub(crate) fn read_meta(
    tree: &sled::Tree,
    key: &'static [u8],
) -> Result<Option<u64>, JournalError> {
    let Some(value) = tree.get(key)? else {
        return Ok(None);
    };
    let name = String::from_utf8_lossy(&key[1..]).into_owned();
    let body = storeseal::unframe(STORAGE_VERSION, &value)
        .map_err(|e| JournalError::CorruptMeta(format!("{name}: {e}")))?;
    let bytes: [u8; 8] = body.try_into().map_err(|_| {
        JournalError::CorruptMeta(format!("{name} is {} bytes, expected 8", body.len()))
    })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}
