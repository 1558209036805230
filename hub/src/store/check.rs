//! The hub store's start-up check, run by [`crate::store::Store::open`]:
//! one pass over every record, so a damaged store is refused before the
//! pool is loaded from it.
//!
//! What it proves: every value passes its CRC and decodes as the record its
//! key says; event log ids run 1, 2, 3 ... without a gap and match the
//! `next_event` counter; each (device, epoch) stream's movements in the log
//! are numbered 1, 2, 3 ... and end at its stored watermark; every log entry
//! has exactly one index key naming its stream and first seq, and no index
//! key names anything else; the store holds at least the commits the seal
//! recorded (a silently lost tail); and, reported for the caller to act
//! on, how the stored pool differs from a replay of the log.

use crate::alerts::Alert;
use crate::discrepancies::{CountTask, Discrepancy};
use crate::events::{apply_movement, snapshot};
use crate::lots::LotInfo;
use crate::pool::{DeadLetter, DeviceEpoch, DeviceRecord, EventRecord, StockKey};
use crate::reservations::Reservation;
use crate::safety::SafetyRule;
use crate::store::applied::{index_first_seq, parse_stream};
use crate::store::archive::segment::Streams;
use crate::store::archive::Checkpoint;
use crate::store::codec::{damaged, decode, i64_of, id_of, parse_stock_key};
use crate::store::{StoreError, COMMITS, NEXT_EVENT};
use hub_core::reconcile::{stock_differences, StockDifference};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

/// What the start-up check found in a store it did not refuse.
#[derive(Debug, Clone, Default)]
pub struct StartCheck {
    /// Group commits the store holds.
    pub commits: u64,
    /// Event log entries.
    pub events: u64,
    /// Movements in them.
    pub movements: u64,
    /// Where the stored pool differs from the replay of the log.
    pub stock_differences: Vec<StockDifference>,
    /// How long the check took, in milliseconds.
    pub millis: u64,
}

/// Where the log in sled begins: the archive's newest checkpoint (the
/// stock the archived entries replay to) and each stream's last archived
/// seq.
#[derive(Debug, Default)]
pub(crate) struct Base {
    pub checkpoint: Checkpoint,
    pub streams: Streams,
}

/// Checks every record of the store's tree; `mark`: the seal's commit
/// count; `base`: what the archived log replays to.
pub(crate) fn check(tree: &sled::Tree, mark: u64, base: Base) -> Result<StartCheck, StoreError> {
    let started = Instant::now();
    let mut walk = Walk {
        base: base.checkpoint.through,
        last_event: base.checkpoint.through,
        movements: base.checkpoint.movements,
        logged: base.streams.into_iter().collect(),
        replayed: base.checkpoint.stock.into_iter().collect(),
        ..Walk::default()
    };
    for item in tree.iter() {
        let (key, value) = item?;
        walk.visit(&key, &value)?;
    }
    let mut found = walk.finish(mark)?;
    found.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        events = found.events,
        movements = found.movements,
        millis = found.millis,
        "store checked"
    );
    Ok(found)
}

/// The state of one pass over the records.
#[derive(Default)]
struct Walk {
    /// Entries archived (the log in sled starts after it).
    base: u64,
    counters: HashMap<Vec<u8>, i64>,
    last_event: u64,
    movements: u64,
    /// Stream -> highest seq seen in the log.
    logged: BTreeMap<DeviceEpoch, u64>,
    replayed: HashMap<StockKey, i64>,
    stored: BTreeMap<StockKey, i64>,
    devices: BTreeMap<DeviceEpoch, DeviceRecord>,
    /// Per log entry in sled (by id - base - 1): the hash of the index key
    /// it needs.
    index_wanted: Vec<u64>,
    /// Per log entry: whether its index key was seen.
    index_seen: Vec<bool>,
    orders: crate::store::order_index::IndexCheck,
}

/// What an index key says, hashed: (stream, first seq).
fn index_hash(stream: &DeviceEpoch, first_seq: u64) -> u64 {
    let mut h = DefaultHasher::new();
    (stream, first_seq).hash(&mut h);
    h.finish()
}

impl Walk {
    fn visit(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        match key.first() {
            Some(b'e') => self.event(key, value),
            Some(b's') => {
                let on_hand = i64_of(key, value)?;
                self.stored.insert(parse_stock_key(key)?, on_hand);
                Ok(())
            }
            Some(b'w') => {
                self.devices
                    .insert(parse_stream(key, 0)?, decode(key, value)?);
                Ok(())
            }
            Some(b'i') => self.index(key, value),
            Some(b'o' | b'O') => self.orders.visit(key, value),
            Some(b'm') => {
                self.counters.insert(key.to_vec(), i64_of(key, value)?);
                Ok(())
            }
            Some(prefix) => other_record(*prefix, key, value),
            None => Err(damaged(key, "empty key")),
        }
    }

    fn event(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let id = id_of(key)?;
        if id != self.last_event + 1 {
            let problem = format!(
                "event log entry {} is missing (next is {id})",
                self.last_event + 1
            );
            return Err(StoreError::Inconsistent(problem));
        }
        self.last_event = id;
        let record: EventRecord = decode(key, value)?;
        let stream = DeviceEpoch {
            device: record.device.clone(),
            epoch: record.epoch,
        };
        let first = record.movements.first().map(|m| m.seq);
        self.index_wanted
            .push(first.map_or(0, |seq| index_hash(&stream, seq)));
        self.index_seen.push(first.is_none());
        let last = self.logged.entry(stream).or_insert(0);
        for movement in &record.movements {
            if movement.seq != *last + 1 {
                return Err(StoreError::Inconsistent(format!(
                    "event log entry {id}: device {} epoch {:016x} seq {} follows seq {}",
                    record.device, record.epoch, movement.seq, last
                )));
            }
            *last = movement.seq;
            apply_movement(&mut self.replayed, movement, &mut |_, _| {});
        }
        self.movements += record.movements.len() as u64;
        Ok(())
    }

    /// One index key: it must name a log entry (visited before: `e` sorts
    /// before `i`) of its stream starting at its seq, and be its only one.
    fn index(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let stream = parse_stream(key, 8)?;
        let first = index_first_seq(key)?;
        let id = i64_of(key, value)? as u64;
        let slot = id
            .checked_sub(self.base + 1)
            .and_then(|s| usize::try_from(s).ok())
            .unwrap_or(usize::MAX);
        let matches = self.index_wanted.get(slot) == Some(&index_hash(&stream, first));
        if !matches || self.index_seen[slot] {
            return Err(StoreError::Inconsistent(format!(
                "log index of device {} epoch {} at seq {first} names entry {id}, which is not \
                 that stream's entry starting there",
                stream.device,
                stream.epoch_hex()
            )));
        }
        self.index_seen[slot] = true;
        Ok(())
    }

    fn finish(self, mark: u64) -> Result<StartCheck, StoreError> {
        if let Some(missing) = self.index_seen.iter().position(|seen| !seen) {
            return Err(StoreError::Inconsistent(format!(
                "event log entry {} has no index key",
                missing as u64 + self.base + 1
            )));
        }
        let counter = |key: &[u8]| self.counters.get(key).copied().map(|v| v as u64);
        let next_event = counter(NEXT_EVENT).unwrap_or(1);
        if next_event != self.last_event + 1 {
            return Err(StoreError::Inconsistent(format!(
                "next_event is {next_event} but the event log ends at entry {}",
                self.last_event
            )));
        }
        let commits = counter(COMMITS).unwrap_or(0);
        if commits < mark {
            return Err(StoreError::LostTail {
                found: commits,
                sealed: mark,
            });
        }
        self.check_watermarks()?;
        let indexed = self
            .counters
            .contains_key(crate::store::order_index::INDEXED);
        self.orders.finish(indexed)?;
        Ok(StartCheck {
            commits,
            events: self.last_event,
            movements: self.movements,
            stock_differences: stock_differences(&self.stored, &snapshot(&self.replayed)),
            millis: 0,
        })
    }

    fn check_watermarks(&self) -> Result<(), StoreError> {
        let streams: BTreeSet<&DeviceEpoch> =
            self.devices.keys().chain(self.logged.keys()).collect();
        for stream in streams {
            let watermark = self.devices.get(stream).map_or(0, |d| d.watermark);
            let logged = self.logged.get(stream).copied().unwrap_or(0);
            if watermark != logged {
                return Err(StoreError::Inconsistent(format!(
                    "device {} epoch {}: watermark {watermark}, but its movements in the event \
                     log end at seq {logged}",
                    stream.device,
                    stream.epoch_hex()
                )));
            }
        }
        Ok(())
    }
}

/// Decodes a record of the kind its prefix names (damage shows as an error).
fn other_record(prefix: u8, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
    match prefix {
        b'd' => decode::<DeadLetter>(key, value).map(drop),
        b'q' => decode::<Vec<Reservation>>(key, value).map(drop),
        b'r' => decode::<Reservation>(key, value).map(drop),
        b't' => decode::<SafetyRule>(key, value).map(drop),
        b'a' => decode::<Alert>(key, value).map(drop),
        b'x' => decode::<Discrepancy>(key, value).map(drop),
        b'k' => decode::<CountTask>(key, value).map(drop),
        b'l' => decode::<LotInfo>(key, value).map(drop),
        b'p' => crate::store::reads::decode_report(key, value).map(drop),
        b'c' => decode::<crate::orders::Customer>(key, value).map(drop),
        b'u' => decode::<crate::orders::AuditEntry>(key, value).map(drop),
        b'g' => decode::<crate::allocations::Allocation>(key, value).map(drop),
        _ => crate::store::tasks::check_record(prefix, key, value)
            .or_else(|| crate::store::labels::check_record(prefix, key, value))
            .or_else(|| crate::store::feed::check_record(prefix, key, value))
            .unwrap_or_else(|| Err(damaged(key, "unknown key prefix"))),
    }
}
