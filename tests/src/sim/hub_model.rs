//! The hub as the simulation sees it: the real [`Pool`] in memory, and a
//! "disk" holding only what was committed. A crash rebuilds the pool from
//! the disk, exactly as `Store::load_pool` does after a real restart.

use hub::pool::{replay, BatchOutcome, DeviceEpoch, DeviceRecord, EventRecord, Pool, StockKey};
use protocol::EventBatch;
use std::collections::{BTreeMap, HashMap};

/// What survives a hub crash.
#[derive(Debug, Default, Clone)]
pub struct Disk {
    /// Committed on-hand.
    pub stock: HashMap<StockKey, i64>,
    /// Committed watermarks, per (device, epoch).
    pub devices: HashMap<DeviceEpoch, DeviceRecord>,
    /// The committed event log, in order.
    pub events: Vec<EventRecord>,
    next_event: u64,
    next_dead: u64,
}

/// The simulated hub.
pub struct HubModel {
    pool: Pool,
    /// Durable state.
    pub disk: Disk,
    inbox: Vec<EventBatch>,
    /// Batches refused as conflicts or unverified: honest devices with
    /// distinct epochs must never cause one.
    pub refused: u64,
}

impl HubModel {
    /// An empty hub.
    pub fn new() -> HubModel {
        HubModel {
            pool: Pool::default(),
            disk: Disk::default(),
            inbox: Vec::new(),
            refused: 0,
        }
    }

    /// A batch arrived from the broker.
    pub fn receive(&mut self, batch: EventBatch) {
        self.inbox.push(batch);
    }

    /// One group commit: apply everything received, make it durable, and
    /// return the acks it releases ((device, epoch), through), as the
    /// writer does: only outcomes that earn one, the highest per stream.
    pub fn commit(&mut self) -> Vec<(DeviceEpoch, u64)> {
        let mut acks: BTreeMap<DeviceEpoch, u64> = BTreeMap::new();
        for batch in std::mem::take(&mut self.inbox) {
            if batch.validate().is_err() {
                continue;
            }
            let outcome: BatchOutcome = self.pool.apply_batch(&batch, 0, &self.disk.events);
            if matches!(
                outcome,
                BatchOutcome::Conflict { .. } | BatchOutcome::Unverified { .. }
            ) {
                self.refused += 1;
            }
            if let Some(through) = outcome.ack_through() {
                let ack = acks.entry(DeviceEpoch::of(&batch)).or_insert(0);
                *ack = (*ack).max(through);
            }
        }
        let changes = self.pool.take_changes();
        for (key, on_hand) in changes.stock {
            self.disk.stock.insert(key, on_hand);
        }
        for (device, record) in changes.devices {
            self.disk.devices.insert(device, record);
        }
        self.disk
            .events
            .extend(changes.events.into_iter().map(|(_, e)| e));
        self.disk.next_event = changes.next_event;
        self.disk.next_dead = changes.next_dead;
        acks.into_iter().collect()
    }

    /// Power loss: everything not committed is gone.
    pub fn crash(&mut self) {
        self.inbox.clear();
        let d = &self.disk;
        self.pool = Pool::from_parts(
            d.stock.clone(),
            d.devices.clone(),
            d.next_event,
            d.next_dead,
        );
    }

    /// Committed watermark of a device's stream in one epoch.
    pub fn watermark(&self, device: &str, epoch: u64) -> u64 {
        let stream = DeviceEpoch {
            device: device.to_string(),
            epoch,
        };
        self.disk.devices.get(&stream).map_or(0, |d| d.watermark)
    }

    /// Committed stock equals a replay of the committed log.
    pub fn check_replay(&self) -> Result<(), String> {
        let stored: BTreeMap<StockKey, i64> = self
            .disk
            .stock
            .iter()
            .filter(|(_, &v)| v != 0)
            .map(|(k, &v)| (k.clone(), v))
            .collect();
        let replayed = replay(&self.disk.events);
        if stored == replayed {
            Ok(())
        } else {
            Err(format!("pool {stored:?} != replay of log {replayed:?}"))
        }
    }
}
