//! The site's stock pool as plain, synchronous, deterministic state.
//!
//! The writer thread owns the only `Pool`. Applying a batch changes memory
//! and records what changed; the writer then writes exactly those changes in
//! one atomic sled batch and flushes once for the whole group. Because the
//! watermark and the stock move in the same write, a batch is applied
//! exactly once however often it is delivered.

use protocol::{EventBatch, Movement, MovementKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// Everything changed since the last [`Pool::take_changes`], to be written
/// atomically.
#[derive(Debug, Default)]
pub struct Changes {
    /// New on-hand per changed key.
    pub stock: Vec<(StockKey, i64)>,
    /// New record per changed device.
    pub devices: Vec<(String, DeviceRecord)>,
    /// New event log entries with their ids.
    pub events: Vec<(u64, EventRecord)>,
    /// New dead letters with their ids.
    pub dead_letters: Vec<(u64, DeadLetter)>,
    /// Next event id after these.
    pub next_event: u64,
    /// Next dead-letter id after these.
    pub next_dead: u64,
}

impl Changes {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.stock.is_empty()
            && self.devices.is_empty()
            && self.events.is_empty()
            && self.dead_letters.is_empty()
    }
}

/// The in-memory pool, with the set of changes not yet written.
#[derive(Debug, Default)]
pub struct Pool {
    stock: HashMap<StockKey, i64>,
    devices: HashMap<String, DeviceRecord>,
    next_event: u64,
    next_dead: u64,
    dirty_stock: HashSet<StockKey>,
    dirty_devices: HashSet<String>,
    new_events: Vec<(u64, EventRecord)>,
    /// Device -> index in `new_events` of its entry in the pending group.
    open_entries: HashMap<String, usize>,
    new_dead: Vec<(u64, DeadLetter)>,
}

impl Pool {
    /// A pool with the given persisted state and nothing pending.
    pub fn from_parts(
        stock: HashMap<StockKey, i64>,
        devices: HashMap<String, DeviceRecord>,
        next_event: u64,
        next_dead: u64,
    ) -> Pool {
        Pool {
            stock,
            devices,
            next_event: next_event.max(1),
            next_dead: next_dead.max(1),
            ..Pool::default()
        }
    }

    /// The device's durable watermark (0 when unknown).
    pub fn watermark(&self, device: &str) -> u64 {
        self.devices.get(device).map_or(0, |d| d.watermark)
    }

    /// On-hand at one key (0 when unknown).
    pub fn on_hand(&self, key: &StockKey) -> i64 {
        self.stock.get(key).copied().unwrap_or(0)
    }

    /// Every non-zero stock entry, sorted.
    pub fn stock_snapshot(&self) -> BTreeMap<StockKey, i64> {
        snapshot(&self.stock)
    }

    /// Applies the part of a validated batch above the device's watermark.
    pub fn apply_batch(&mut self, batch: &EventBatch, now_ms: u64) -> BatchOutcome {
        let watermark = self.watermark(&batch.device);
        if batch.first_seq > watermark + 1 {
            return BatchOutcome::Gap { through: watermark };
        }
        let fresh: Vec<Movement> = batch
            .movements
            .iter()
            .filter(|m| m.seq > watermark)
            .cloned()
            .collect();
        if fresh.is_empty() {
            return BatchOutcome::Duplicate { through: watermark };
        }
        for movement in &fresh {
            apply_movement(&mut self.stock, movement, &mut |k| {
                if !self.dirty_stock.contains(k) {
                    self.dirty_stock.insert(k.clone());
                }
            });
        }
        let count = fresh.len();
        self.log(&batch.device, fresh, now_ms);
        let through = batch.last_seq();
        let device = self.devices.entry(batch.device.clone()).or_default();
        device.watermark = through;
        device.last_batch_ms = now_ms;
        device.applied += count as u64;
        self.dirty_devices.insert(batch.device.clone());
        BatchOutcome::Applied { count, through }
    }

    /// Appends applied movements to the pending log. A device's batches in
    /// one group are consecutive, so they share one log entry: a group of
    /// many one-scan batches costs a few inserts, not one per scan.
    fn log(&mut self, device: &str, movements: Vec<Movement>, now_ms: u64) {
        if let Some(&index) = self.open_entries.get(device) {
            if let Some((_, entry)) = self.new_events.get_mut(index) {
                entry.movements.extend(movements);
                return;
            }
        }
        self.open_entries
            .insert(device.to_string(), self.new_events.len());
        let record = EventRecord {
            device: device.to_string(),
            applied_ms: now_ms,
            movements,
        };
        self.new_events.push((self.next_event, record));
        self.next_event += 1;
    }

    /// Records a refused payload.
    pub fn dead_letter(&mut self, letter: DeadLetter) {
        self.new_dead.push((self.next_dead, letter));
        self.next_dead += 1;
    }

    /// Hands over everything changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        let stock = self
            .dirty_stock
            .drain()
            .map(|k| {
                let v = self.stock.get(&k).copied().unwrap_or(0);
                (k, v)
            })
            .collect();
        let devices = self
            .dirty_devices
            .drain()
            .filter_map(|d| self.devices.get(&d).map(|r| (d, r.clone())))
            .collect();
        self.open_entries.clear();
        Changes {
            stock,
            devices,
            events: std::mem::take(&mut self.new_events),
            dead_letters: std::mem::take(&mut self.new_dead),
            next_event: self.next_event,
            next_dead: self.next_dead,
        }
    }
}

/// Applies one movement's effect on on-hand, calling `touched` for each key.
pub fn apply_movement(
    stock: &mut HashMap<StockKey, i64>,
    m: &Movement,
    touched: &mut dyn FnMut(&StockKey),
) {
    let key = |location: &str| StockKey {
        sku: m.sku.clone(),
        location: location.to_string(),
        lot: m.lot.clone().unwrap_or_default(),
    };
    let mut add = |k: StockKey, delta: i64, set: bool| {
        let entry = stock.entry(k.clone()).or_insert(0);
        *entry = if set { delta } else { *entry + delta };
        touched(&k);
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
        apply_movement(&mut stock, movement, &mut |_| {});
    }
    snapshot(&stock)
}

fn snapshot(stock: &HashMap<StockKey, i64>) -> BTreeMap<StockKey, i64> {
    stock
        .iter()
        .filter(|(_, &v)| v != 0)
        .map(|(k, &v)| (k.clone(), v))
        .collect()
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
