//! The hub's durable state in sled, and its layout.
//!
//! One tree, `pool`, with a one-byte prefix per kind of record, so that a
//! whole group commit (events, stock, watermarks, dead letters, counters)
//! is a single atomic `apply_batch` followed by a single `flush`:
//!
//! | key                               | value                         |
//! |-----------------------------------|-------------------------------|
//! | `e` + log entry id (u64 BE)       | [`EventRecord`] (one batch)   |
//! | `s` + sku 0x00 location 0x00 lot  | on-hand, i64 BE               |
//! | `w` + device                      | [`DeviceRecord`]              |
//! | `d` + dead-letter id (u64 BE)     | [`DeadLetter`]                |
//! | `m` + name                        | counters (u64 BE)             |
//!
//! Records are postcard with a leading storage-version byte; ids cannot
//! hold 0x00 (protocol ids are printable ASCII), so the stock key splits
//! unambiguously.

use crate::pool::{Changes, DeadLetter, DeviceRecord, EventRecord, Pool, StockKey};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::HashMap;
use std::path::Path;
use thiserror::Error;

const STORAGE_VERSION: u8 = 1;
const NEXT_EVENT: &[u8] = b"mnext_event";
const NEXT_DEAD: &[u8] = b"mnext_dead";

/// Why the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// sled reported an error (I/O, corruption).
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// A stored record could not be read back.
    #[error("store: damaged record under key {key}: {problem}")]
    Damaged {
        /// The key, printable.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// Handle on the hub's sled database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
}

/// One stock entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    /// Where.
    pub key: StockKey,
    /// How many.
    pub on_hand: i64,
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new().path(dir).open()?;
        let tree = db.open_tree("pool")?;
        Ok(Store { db, tree })
    }

    /// Loads the pool's durable state (stock, watermarks, counters).
    pub fn load_pool(&self) -> Result<Pool, StoreError> {
        let stock = self
            .stock_rows(None)?
            .into_iter()
            .map(|r| (r.key, r.on_hand))
            .collect();
        let devices: HashMap<String, DeviceRecord> = self.devices()?.into_iter().collect();
        let next_event = self.counter(NEXT_EVENT)?;
        let next_dead = self.counter(NEXT_DEAD)?;
        Ok(Pool::from_parts(stock, devices, next_event, next_dead))
    }

    /// Writes one group's changes atomically, then flushes to disk.
    pub fn commit(&self, changes: &Changes) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (key, on_hand) in &changes.stock {
            batch.insert(stock_key(key), on_hand.to_be_bytes().to_vec());
        }
        for (device, record) in &changes.devices {
            batch.insert(prefixed(b'w', device.as_bytes()), encode(record));
        }
        for (id, event) in &changes.events {
            batch.insert(prefixed(b'e', &id.to_be_bytes()), encode(event));
        }
        for (id, letter) in &changes.dead_letters {
            batch.insert(prefixed(b'd', &id.to_be_bytes()), encode(letter));
        }
        batch.insert(NEXT_EVENT, changes.next_event.to_be_bytes().to_vec());
        batch.insert(NEXT_DEAD, changes.next_dead.to_be_bytes().to_vec());
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Stock rows, all or for one SKU, sorted by SKU, location, lot.
    pub fn stock_rows(&self, sku: Option<&str>) -> Result<Vec<StockRow>, StoreError> {
        let prefix = match sku {
            Some(sku) => prefixed(b's', format!("{sku}\0").as_bytes()),
            None => vec![b's'],
        };
        let mut rows = Vec::new();
        for item in self.tree.scan_prefix(prefix) {
            let (k, v) = item?;
            let key = parse_stock_key(&k)?;
            let bytes: [u8; 8] = v
                .as_ref()
                .try_into()
                .map_err(|_| damaged(&k, "not 8 bytes"))?;
            let on_hand = i64::from_be_bytes(bytes);
            if on_hand != 0 {
                rows.push(StockRow { key, on_hand });
            }
        }
        Ok(rows)
    }

    /// Every device's record, sorted by device id.
    pub fn devices(&self) -> Result<Vec<(String, DeviceRecord)>, StoreError> {
        self.tree
            .scan_prefix([b'w'])
            .map(|item| {
                let (k, v) = item?;
                let device = String::from_utf8_lossy(&k[1..]).into_owned();
                Ok((device, decode(&k, &v)?))
            })
            .collect()
    }

    /// The newest dead letters first, at most `limit`.
    pub fn dead_letters(&self, limit: usize) -> Result<Vec<(u64, DeadLetter)>, StoreError> {
        self.tree
            .scan_prefix([b'd'])
            .rev()
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                Ok((id_of(&k)?, decode(&k, &v)?))
            })
            .collect()
    }

    /// The whole event log in order.
    pub fn events(&self) -> impl Iterator<Item = Result<(u64, EventRecord), StoreError>> + '_ {
        self.tree.scan_prefix([b'e']).map(|item| {
            let (k, v) = item?;
            Ok((id_of(&k)?, decode(&k, &v)?))
        })
    }

    fn counter(&self, key: &[u8]) -> Result<u64, StoreError> {
        match self.tree.get(key)? {
            None => Ok(1),
            Some(v) => {
                let bytes: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| damaged(key, "not 8 bytes"))?;
                Ok(u64::from_be_bytes(bytes))
            }
        }
    }

    /// Overwrites one stored stock entry, bypassing the log. Only for tests
    /// that prove reconciliation catches a tampered pool.
    #[doc(hidden)]
    pub fn tamper_stock(&self, key: &StockKey, on_hand: i64) -> Result<(), StoreError> {
        self.tree
            .insert(stock_key(key), on_hand.to_be_bytes().to_vec())?;
        self.db.flush()?;
        Ok(())
    }
}

fn prefixed(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(rest.len() + 1);
    key.push(prefix);
    key.extend_from_slice(rest);
    key
}

fn stock_key(key: &StockKey) -> Vec<u8> {
    prefixed(
        b's',
        format!("{}\0{}\0{}", key.sku, key.location, key.lot).as_bytes(),
    )
}

fn parse_stock_key(raw: &[u8]) -> Result<StockKey, StoreError> {
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

fn id_of(key: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = key
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged(key, "id is not 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![STORAGE_VERSION];
    // Our own record types always serialize.
    out.extend(postcard::to_allocvec(value).unwrap_or_default());
    out
}

fn decode<T: DeserializeOwned>(key: &[u8], raw: &[u8]) -> Result<T, StoreError> {
    match raw.split_first() {
        Some((&STORAGE_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| damaged(key, &e.to_string()))
        }
        Some((v, _)) => Err(damaged(key, &format!("unknown storage version {v}"))),
        None => Err(damaged(key, "empty record")),
    }
}

fn damaged(key: &[u8], problem: &str) -> StoreError {
    StoreError::Damaged {
        key: String::from_utf8_lossy(key).escape_debug().to_string(),
        problem: problem.to_string(),
    }
}
