//! The event log's records and the replay that rebuilds on-hand from it.
//!
//! The log is the source of truth (promise 6): [`replay`] applies its
//! movements in order with [`apply_movement`], the very function the live
//! pool uses, so a pool and a replay of its log can only differ if stored
//! state was damaged or tampered with (`hub verify` reports it).

use protocol::{Movement, MovementKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Where a quantity of one SKU sits: location and lot ("" when none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StockKey {
    /// Stock keeping unit.
    pub sku: String,
    /// Location.
    pub location: String,
    /// Lot, or "" for goods without one.
    pub lot: String,
}

/// What the hub knows about one device's stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Highest sequence number durably applied.
    pub watermark: u64,
    /// Hub time of the last batch that applied something, ms since the epoch.
    pub last_batch_ms: u64,
    /// Movements applied in all.
    pub applied: u64,
}

/// One entry of the event log, the source of truth the pool is rebuilt
/// from: the movements of one batch that were newly applied, in order. One
/// entry per batch, not per movement, keeps a group commit to a few sled
/// inserts however large the batches are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The device that scanned them.
    pub device: String,
    /// Hub time of applying them, ms since the epoch.
    pub applied_ms: u64,
    /// The movements as scanned (seqs are the device's, consecutive).
    pub movements: Vec<Movement>,
}

/// A payload the hub refused, kept with the reason for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The MQTT topic it arrived on.
    pub topic: String,
    /// Why it was refused.
    pub reason: String,
    /// Hub time of arrival, ms since the epoch.
    pub received_ms: u64,
    /// The raw payload bytes.
    pub payload: Vec<u8>,
}

/// What became of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// `count` new movements applied; the device's watermark is now `through`.
    Applied {
        /// Movements newly applied.
        count: usize,
        /// New watermark.
        through: u64,
    },
    /// Everything in it was applied before; nothing changed.
    Duplicate {
        /// Unchanged watermark.
        through: u64,
    },
    /// It starts past the watermark + 1; not applied, so the device resends.
    Gap {
        /// Unchanged watermark.
        through: u64,
    },
}

impl BatchOutcome {
    /// The watermark to acknowledge.
    pub fn ack_through(self) -> u64 {
        match self {
            BatchOutcome::Applied { through, .. }
            | BatchOutcome::Duplicate { through }
            | BatchOutcome::Gap { through } => through,
        }
    }
}

/// Applies one movement's effect on on-hand, calling `touched` with each
/// key it changed and by how much.
pub fn apply_movement(
    stock: &mut HashMap<StockKey, i64>,
    m: &Movement,
    touched: &mut dyn FnMut(&StockKey, i64),
) {
    let key = |location: &str| StockKey {
        sku: m.sku.clone(),
        location: location.to_string(),
        lot: m.lot.clone().unwrap_or_default(),
    };
    let mut add = |k: StockKey, delta: i64, set: bool| {
        let entry = stock.entry(k.clone()).or_insert(0);
        let old = *entry;
        *entry = if set { delta } else { old + delta };
        touched(&k, *entry - old);
    };
    match m.kind {
        MovementKind::Receive | MovementKind::Adjust => add(key(&m.location), m.quantity, false),
        MovementKind::Pick => add(key(&m.location), -m.quantity, false),
        MovementKind::Count => add(key(&m.location), m.quantity, true),
        MovementKind::Pack => {}
        MovementKind::Putaway | MovementKind::Move => {
            add(key(&m.location), -m.quantity, false);
            if let Some(to) = &m.to_location {
                add(key(to), m.quantity, false);
            }
        }
    }
}

/// Rebuilds on-hand from the event log, in log order.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a EventRecord>) -> BTreeMap<StockKey, i64> {
    let mut stock = HashMap::new();
    for movement in events.into_iter().flat_map(|e| &e.movements) {
        apply_movement(&mut stock, movement, &mut |_, _| {});
    }
    snapshot(&stock)
}

pub(crate) fn snapshot(stock: &HashMap<StockKey, i64>) -> BTreeMap<StockKey, i64> {
    stock
        .iter()
        .filter(|(_, &v)| v != 0)
        .map(|(k, &v)| (k.clone(), v))
        .collect()
}
