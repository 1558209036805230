//! The event log's records and the replay that rebuilds on-hand from it.
//!
//! The log is the source of truth (promise 6): [`replay`] applies its
//! movements in order with [`apply_movement`], the very function the live
//! pool uses, so a pool and a replay of its log can only differ if stored
//! state was damaged or tampered with (`hub verify` reports it).

use protocol::{EventBatch, Movement, MovementKind};
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

/// One device's stream of movements in one journal epoch (WIRE.md §3.9):
/// the unit the hub keeps a watermark for. A device gets a new stream
/// whenever its journal is created anew (wiped, replaced).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceEpoch {
    /// The device.
    pub device: String,
    /// Its journal's epoch.
    pub epoch: u64,
}

impl DeviceEpoch {
    /// The stream a batch belongs to.
    pub fn of(batch: &EventBatch) -> DeviceEpoch {
        DeviceEpoch {
            device: batch.device.clone(),
            epoch: batch.epoch,
        }
    }

    /// The epoch as people and logs see it: 16 hex digits.
    pub fn epoch_hex(&self) -> String {
        format!("{:016x}", self.epoch)
    }
}

/// What the hub knows about one device's stream in one epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Highest sequence number durably applied.
    pub watermark: u64,
    /// Hub time of the last batch that applied something, ms since the epoch.
    pub last_batch_ms: u64,
    /// Movements applied in all.
    pub applied: u64,
    /// Batches refused as conflicts (content differing from what was
    /// applied under the same seqs).
    pub conflicts: u64,
    /// The seq of the last conflict an alert was raised for (0: none), so
    /// a device resending one conflicting batch raises one alert.
    pub conflict_seq: u64,
}

/// One entry of the event log, the source of truth the pool is rebuilt
/// from: the movements of one batch that were newly applied, in order. One
/// entry per batch, not per movement, keeps a group commit to a few sled
/// inserts however large the batches are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The device that scanned them.
    pub device: String,
    /// The journal epoch they were recorded in.
    pub epoch: u64,
    /// Hub time of applying them, ms since the epoch.
    pub applied_ms: u64,
    /// The movements as scanned (seqs are the device's in that epoch,
    /// consecutive).
    pub movements: Vec<Movement>,
}

impl EventRecord {
    /// Whether this entry belongs to `stream`.
    pub fn is_of(&self, stream: &DeviceEpoch) -> bool {
        self.epoch == stream.epoch && self.device == stream.device
    }
}

/// Where the pool finds what it applied in earlier, committed groups, to
/// compare a resend with: the store's event log (through its index), or a
/// plain list of records in tests and the simulator.
pub trait AppliedLog {
    /// The movements of `stream` with seqs `from..=through`, in seq order,
    /// exactly as applied. An error (the log cannot be read, or does not
    /// hold them) is described for the log; the batch is then not applied.
    fn applied(
        &self,
        stream: &DeviceEpoch,
        from: u64,
        through: u64,
    ) -> Result<Vec<Movement>, String>;
}

impl AppliedLog for Vec<EventRecord> {
    fn applied(
        &self,
        stream: &DeviceEpoch,
        from: u64,
        through: u64,
    ) -> Result<Vec<Movement>, String> {
        Ok(self
            .iter()
            .filter(|e| e.is_of(stream))
            .flat_map(|e| &e.movements)
            .filter(|m| (from..=through).contains(&m.seq))
            .cloned()
            .collect())
    }
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

/// Dead letters kept in the store: only the newest this many, so a flood
/// of garbage (20,000 statuses for unknown ids, say) cannot grow the store
/// or a listing without bound; each one older is removed in the same
/// atomic write that adds a new one.
pub const KEPT_DEAD_LETTERS: u64 = 10_000;

/// What became of one batch (WIRE.md §3.9 has the table). Watermarks are
/// those of the batch's (device, epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// `count` new movements applied (any it repeats were identical to
    /// what was applied); the watermark is now `through`.
    Applied {
        /// Movements newly applied.
        count: usize,
        /// New watermark, the batch's last seq.
        through: u64,
    },
    /// Everything in it was applied before, identically; nothing changed.
    Duplicate {
        /// The batch's last seq (at or below the watermark).
        through: u64,
    },
    /// It starts past the watermark + 1; not applied, so the device resends.
    Gap {
        /// Unchanged watermark.
        watermark: u64,
    },
    /// A movement at or below the watermark differs from the one applied
    /// under its seq: nothing of the batch is applied, an alert is raised.
    Conflict {
        /// The first seq whose movement differs.
        seq: u64,
        /// Unchanged watermark.
        watermark: u64,
    },
    /// What was applied could not be read to compare with: nothing applied.
    Unverified {
        /// Unchanged watermark.
        watermark: u64,
    },
}

impl BatchOutcome {
    /// The seq to acknowledge, if any: only seqs whose movements the hub
    /// holds exactly as this batch carries them, so an ack never lets a
    /// device trim a scan the hub does not have (a gap or a conflict is
    /// not acknowledged at all).
    pub fn ack_through(self) -> Option<u64> {
        match self {
            BatchOutcome::Applied { through, .. } | BatchOutcome::Duplicate { through } => {
                Some(through)
            }
            BatchOutcome::Gap { .. }
            | BatchOutcome::Conflict { .. }
            | BatchOutcome::Unverified { .. } => None,
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
        MovementKind::Receive | MovementKind::Adjust | MovementKind::Return => {
            add(key(&m.location), m.quantity, false)
        }
        MovementKind::Pick => add(key(&m.location), -m.quantity, false),
        MovementKind::Count => add(key(&m.location), m.quantity, true),
        MovementKind::Pack | MovementKind::Ship => {}
        MovementKind::Putaway | MovementKind::Move => {
            add(key(&m.location), -m.quantity, false);
            if let Some(to) = &m.to_location {
                add(key(to), m.quantity, false);
            }
        }
    }
}

/// A replay of the log in progress: the stock the entries so far add up
/// to, and how many movements they held (the archive's checkpoints,
/// reconciliation and the archive's audit each carry one on).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// Stock per key, zero rows included.
    pub stock: HashMap<StockKey, i64>,
    /// Movements applied.
    pub movements: u64,
}

impl Replay {
    /// Applies one log entry's movements, in order.
    pub fn apply(&mut self, event: &EventRecord) {
        self.movements += event.movements.len() as u64;
        for movement in &event.movements {
            apply_movement(&mut self.stock, movement, &mut |_, _| {});
        }
    }
}

/// Rebuilds on-hand from the event log, in log order.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a EventRecord>) -> BTreeMap<StockKey, i64> {
    let mut replayed = Replay::default();
    for event in events {
        replayed.apply(event);
    }
    snapshot(&replayed.stock)
}

/// The stock with its zero rows left out: what a store holds and a replay
/// yields, so the two compare equal.
pub fn snapshot(stock: &HashMap<StockKey, i64>) -> BTreeMap<StockKey, i64> {
    stock
        .iter()
        .filter(|(_, &v)| v != 0)
        .map(|(k, &v)| (k.clone(), v))
        .collect()
}
