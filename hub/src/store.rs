//! The hub's durable state in sled, and its layout.
//!
//! One tree, `pool`, with a one-byte prefix per kind of record, so that a
//! whole group commit (events, stock, watermarks, reservations, alerts,
//! discrepancies, ... and counters) is a single atomic `apply_batch`
//! followed by a single `flush`:
//!
//! | key                                 | value                                |
//! |-------------------------------------|--------------------------------------|
//! | `e` + log entry id (u64 BE)         | [`EventRecord`] (one batch)          |
//! | `s` + sku 0x00 location 0x00 lot    | on-hand, i64 BE                      |
//! | `w` + device                        | [`DeviceRecord`]                     |
//! | `d` + dead-letter id (u64 BE)       | [`DeadLetter`]                       |
//! | `q` + first reservation id (u64 BE) | reservations one group created (<=512) |
//! | `r` + reservation id (u64 BE)       | [`Reservation`] changed later        |
//! | `t` + sku                           | [`SafetyRule`]                       |
//! | `a` + alert id (u64 BE)             | [`Alert`]                            |
//! | `x` + discrepancy id (u64 BE)       | [`Discrepancy`]                      |
//! | `k` + count task id (u64 BE)        | [`CountTask`]                        |
//! | `l` + sku 0x00 lot                  | [`LotInfo`] (FIFO rank)              |
//! | `p` + report id (u64 BE)            | reconciliation report (JSON)         |
//! | `m` + name                          | counters (u64 BE)                    |
//!
//! Records are postcard with a leading storage-version byte (reports are
//! JSON after the same byte, as they are served); ids cannot hold 0x00
//! (protocol ids are printable ASCII), so composite keys split
//! unambiguously. A reservation is read from `r` if it changed after the
//! group that created it, else from the `q` record at or below its id: one
//! insert per group instead of one per reservation (sled inserts were half
//! the writer's time). Reserved totals are derived from the active
//! reservations at load and not stored (see [`crate::reserved_view`]).
//! Reports are written by the reconciliation worker, outside group commits.

use crate::alerts::Alert;
use crate::changes::{Changes, NextIds, PoolParts};
use crate::discrepancies::{CountTask, Discrepancy};
use crate::lots::LotInfo;
use crate::pool::{DeadLetter, DeviceRecord, EventRecord, Pool, StockKey};
use crate::reservations::Reservation;
use crate::safety::SafetyRule;
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;
use thiserror::Error;

const STORAGE_VERSION: u8 = 1;
/// Reservations per `q` record: about 30 KB, well inside a sled page.
const RESERVATIONS_PER_RECORD: usize = 512;
const NEXT_EVENT: &[u8] = b"mnext_event";
const NEXT_DEAD: &[u8] = b"mnext_dead";
const NEXT_RESERVATION: &[u8] = b"mnext_reservation";
const NEXT_ALERT: &[u8] = b"mnext_alert";
const NEXT_DISCREPANCY: &[u8] = b"mnext_discrepancy";
const NEXT_TASK: &[u8] = b"mnext_count_task";
pub(crate) const NEXT_REPORT: &[u8] = b"mnext_report";

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
    pub(crate) db: sled::Db,
    pub(crate) tree: sled::Tree,
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
        // Every group flushes itself, so sled's 500 ms background flusher
        // would only add fsyncs; throughput mode trades space for speed.
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .flush_every_ms(None)
            .open()?;
        let tree = db.open_tree("pool")?;
        Ok(Store { db, tree })
    }

    /// Loads the pool's durable state.
    pub fn load_pool(&self) -> Result<Pool, StoreError> {
        let mut parts = PoolParts {
            stock: self
                .scan_stock(None, true)?
                .into_iter()
                .map(|r| (r.key, r.on_hand))
                .collect(),
            devices: self.devices()?.into_iter().collect(),
            next_event: self.counter(NEXT_EVENT)?,
            next_dead: self.counter(NEXT_DEAD)?,
            reservations: self.all_reservations()?,
            safety: self.safety_rules()?,
            lots: self.lots()?,
            next_ids: NextIds {
                reservation: self.counter(NEXT_RESERVATION)?,
                alert: self.counter(NEXT_ALERT)?,
                discrepancy: self.counter(NEXT_DISCREPANCY)?,
                count_task: self.counter(NEXT_TASK)?,
            },
            ..PoolParts::default()
        };
        let open = |d: &Discrepancy| d.resolution.is_none();
        parts.open_discrepancies = self
            .records(b'x')?
            .into_iter()
            .map(|(_, d)| d)
            .filter(open)
            .collect();
        let tasks: Vec<(u64, CountTask)> = self.records(b'k')?;
        parts.open_tasks = tasks
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.done_ms.is_none())
            .collect();
        Ok(Pool::load(parts))
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
            batch.insert(id_key(b'e', *id), encode(event));
        }
        for (id, letter) in &changes.dead_letters {
            batch.insert(id_key(b'd', *id), encode(letter));
        }
        add_stock_records(&mut batch, changes);
        batch.insert(NEXT_EVENT, changes.next_event.to_be_bytes().to_vec());
        batch.insert(NEXT_DEAD, changes.next_dead.to_be_bytes().to_vec());
        let ids = &changes.next_ids;
        for (key, value) in [
            (NEXT_RESERVATION, ids.reservation),
            (NEXT_ALERT, ids.alert),
            (NEXT_DISCREPANCY, ids.discrepancy),
            (NEXT_TASK, ids.count_task),
        ] {
            batch.insert(key, value.to_be_bytes().to_vec());
        }
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Stock rows, all or for one SKU, sorted by SKU, location, lot; only
    /// non-zero ones.
    pub fn stock_rows(&self, sku: Option<&str>) -> Result<Vec<StockRow>, StoreError> {
        self.scan_stock(sku, false)
    }

    fn scan_stock(&self, sku: Option<&str>, zeros: bool) -> Result<Vec<StockRow>, StoreError> {
        let prefix = match sku {
            Some(sku) => prefixed(b's', format!("{sku}\0").as_bytes()),
            None => vec![b's'],
        };
        let mut rows = Vec::new();
        for item in self.tree.scan_prefix(prefix) {
            let (k, v) = item?;
            let key = parse_stock_key(&k)?;
            let on_hand = i64_of(&k, &v)?;
            if zeros || on_hand != 0 {
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
        self.newest(b'd', limit, |_| true)
    }

    /// The whole event log in order.
    pub fn events(&self) -> impl Iterator<Item = Result<(u64, EventRecord), StoreError>> + '_ {
        self.tree.scan_prefix([b'e']).map(|item| {
            let (k, v) = item?;
            Ok((id_of(&k)?, decode(&k, &v)?))
        })
    }

    /// Every record under a one-byte prefix with a u64 id, in id order.
    pub(crate) fn records<T: DeserializeOwned>(
        &self,
        prefix: u8,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        self.tree
            .scan_prefix([prefix])
            .map(|item| {
                let (k, v) = item?;
                Ok((id_of(&k)?, decode(&k, &v)?))
            })
            .collect()
    }

    /// The newest records under `prefix` that pass `keep`, at most `limit`.
    pub(crate) fn newest<T: DeserializeOwned>(
        &self,
        prefix: u8,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([prefix]).rev() {
            let (k, v) = item?;
            let record: T = decode(&k, &v)?;
            if keep(&record) {
                out.push((id_of(&k)?, record));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One record under a one-byte prefix and u64 id.
    pub(crate) fn record<T: DeserializeOwned>(
        &self,
        prefix: u8,
        id: u64,
    ) -> Result<Option<T>, StoreError> {
        let key = id_key(prefix, id);
        self.tree.get(&key)?.map(|v| decode(&key, &v)).transpose()
    }

    /// Safety rules, sorted by SKU.
    pub fn safety_rules(&self) -> Result<Vec<(String, SafetyRule)>, StoreError> {
        self.tree
            .scan_prefix([b't'])
            .map(|item| {
                let (k, v) = item?;
                Ok((
                    String::from_utf8_lossy(&k[1..]).into_owned(),
                    decode(&k, &v)?,
                ))
            })
            .collect()
    }

    /// Every lot seen: (sku, lot, info).
    pub fn lots(&self) -> Result<Vec<(String, String, LotInfo)>, StoreError> {
        self.tree
            .scan_prefix([b'l'])
            .map(|item| {
                let (k, v) = item?;
                let text = String::from_utf8_lossy(&k[1..]).into_owned();
                let (sku, lot) = text.split_once('\0').ok_or_else(|| damaged(&k, "no lot"))?;
                Ok((sku.to_string(), lot.to_string(), decode(&k, &v)?))
            })
            .collect()
    }

    pub(crate) fn counter(&self, key: &[u8]) -> Result<u64, StoreError> {
        match self.tree.get(key)? {
            None => Ok(1),
            Some(v) => Ok(i64_of(key, &v)? as u64),
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

fn add_stock_records(batch: &mut sled::Batch, changes: &Changes) {
    let split = changes
        .reservations
        .partition_point(|r| r.id < changes.new_reservations_from);
    let (changed, created) = changes.reservations.split_at(split);
    for r in changed {
        batch.insert(id_key(b'r', r.id), encode(r.as_ref()));
    }
    for chunk in created.chunks(RESERVATIONS_PER_RECORD) {
        let records: Vec<&Reservation> = chunk.iter().map(|r| r.as_ref()).collect();
        batch.insert(id_key(b'q', chunk[0].id), encode(&records));
    }
    for (sku, rule) in &changes.safety {
        let key = prefixed(b't', sku.as_bytes());
        match rule {
            Some(rule) => batch.insert(key, encode(rule)),
            None => batch.remove(key),
        }
    }
    for (id, alert) in &changes.alerts {
        batch.insert(id_key(b'a', *id), encode::<Alert>(alert));
    }
    for d in &changes.discrepancies {
        batch.insert(id_key(b'x', d.id), encode(d));
    }
    for t in &changes.count_tasks {
        batch.insert(id_key(b'k', t.id), encode(t));
    }
    for (sku, lot, info) in &changes.lots {
        batch.insert(
            prefixed(b'l', format!("{sku}\0{lot}").as_bytes()),
            encode(info),
        );
    }
}

pub(crate) fn prefixed(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(rest.len() + 1);
    key.push(prefix);
    key.extend_from_slice(rest);
    key
}

pub(crate) fn id_key(prefix: u8, id: u64) -> Vec<u8> {
    prefixed(prefix, &id.to_be_bytes())
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

fn i64_of(key: &[u8], value: &[u8]) -> Result<i64, StoreError> {
    let bytes: [u8; 8] = value.try_into().map_err(|_| damaged(key, "not 8 bytes"))?;
    Ok(i64::from_be_bytes(bytes))
}

fn id_of(key: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = key
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged(key, "id is not 8 bytes"))?;
    Ok(u64::from_be_bytes(bytes))
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![STORAGE_VERSION];
    // Our own record types always serialize.
    out.extend(postcard::to_allocvec(value).unwrap_or_default());
    out
}

pub(crate) fn decode<T: DeserializeOwned>(key: &[u8], raw: &[u8]) -> Result<T, StoreError> {
    match raw.split_first() {
        Some((&STORAGE_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| damaged(key, &e.to_string()))
        }
        Some((v, _)) => Err(damaged(key, &format!("unknown storage version {v}"))),
        None => Err(damaged(key, "empty record")),
    }
}

pub(crate) fn damaged(key: &[u8], problem: &str) -> StoreError {
    StoreError::Damaged {
        key: String::from_utf8_lossy(key).escape_debug().to_string(),
        problem: problem.to_string(),
    }
}
