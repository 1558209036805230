//! The write-back worker: the hub's task that tells each order's shop
//! platform its tracking number once the label printed, retried until the
//! platform acknowledges (issue 16).
//!
//! What is owed lives in its own sled tree of the hub's database,
//! `writeback`: `p` + order id (u64 BE) holds the [`Pending`] entry (JSON),
//! `d` + order id marks an order whose platform acknowledged. An order is
//! added when the writer reports its label printed (after that group is
//! durable), and at every start from the orders themselves (labelled or
//! shipped, with a tracking number, neither pending nor done), so a crash
//! between the two loses nothing. Each change is flushed before the next
//! call. An order of a platform with no `[labels] platforms` entry, or
//! one the platform refused, is parked: listed with its error at
//! `GET /api/v1/writebacks`, retried at `POST .../{order}/retry`.

use super::outbox::{Outbox, Pending};
use super::{Platform, Shipment, WritebackError};
use crate::beat::Beat;
use crate::orders::OrderState;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How long the worker may go without a sign of life.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// The longest sleep between looks at what is due.
const TICK: Duration = Duration::from_millis(500);

/// Adapters by platform name.
pub type Platforms = HashMap<String, Arc<dyn Platform>>;

/// The outbox shared with the API (which lists and retries it).
#[derive(Clone, Default)]
pub struct Writebacks {
    outbox: Arc<Mutex<Outbox>>,
}

impl Writebacks {
    /// Every entry still owed, by order id.
    pub fn pending(&self) -> Vec<Pending> {
        let outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        outbox.entries().cloned().collect()
    }

    /// Makes a parked or waiting entry due now; false if none.
    pub fn retry_now(&self, order: u64, now: u64) -> bool {
        let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        outbox.retry_now(order, now)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Outbox) -> T) -> T {
        let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut outbox)
    }
}

/// The worker's parts.
pub struct Worker {
    /// The hub's store (orders, and the `writeback` tree).
    pub store: Store,
    /// The adapters.
    pub platforms: Platforms,
    /// The shared outbox.
    pub writebacks: Writebacks,
    /// Orders whose label printed, from the writer.
    pub labelled: mpsc::UnboundedReceiver<Vec<u64>>,
}

fn key(prefix: u8, order: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&order.to_be_bytes());
    k
}

impl Worker {
    /// Loads what is owed (the tree, then orders the tree has not heard of).
    pub fn load(&self) -> Result<(), StoreError> {
        let tree = self.store.writeback_tree()?;
        let mut entries = Vec::new();
        for item in tree.scan_prefix([b'p']) {
            let (_, value) = item?;
            match serde_json::from_slice::<Pending>(&value) {
                Ok(p) => entries.push(p),
                Err(_) => warn!("a damaged write-back entry was skipped"),
            }
        }
        self.writebacks.with(|o| *o = Outbox::from_entries(entries));
        for order in self.store.each_order() {
            let order = order?;
            let shipped = matches!(order.state, OrderState::Labelled | OrderState::Shipped);
            if shipped && !tree.contains_key(key(b'd', order.id))? {
                self.enqueue(order.id, crate::clock::wall_ms())?;
            }
        }
        Ok(())
    }

    /// Adds order `id` (committed, labelled) to what is owed.
    fn enqueue(&self, id: u64, now: u64) -> Result<(), StoreError> {
        let Some(order) = self.store.order(id)? else {
            return Ok(());
        };
        let Some(parcel) = order.shipment else {
            return Ok(());
        };
        let shipment = Shipment {
            platform: order.platform,
            platform_order_id: order.platform_order_id,
            carrier: parcel.carrier,
            tracking: parcel.tracking,
        };
        if !shipment.needs_writeback() {
            return Ok(());
        }
        self.writebacks.with(|o| o.add(id, shipment, now));
        self.persist(id)
    }

    /// Writes order `id`'s entry (or its done mark) and flushes.
    fn persist(&self, id: u64) -> Result<(), StoreError> {
        let tree = self.store.writeback_tree()?;
        match self.writebacks.with(|o| o.get(id).cloned()) {
            Some(p) => {
                let bytes = serde_json::to_vec(&p).unwrap_or_default();
                tree.insert(key(b'p', id), bytes)?;
            }
            None => {
                tree.remove(key(b'p', id))?;
                tree.insert(key(b'd', id), &[][..])?;
            }
        }
        self.store.flush_writebacks()
    }

    /// Calls the platform of every entry due, one at a time.
    async fn call_due(&self, now: u64) -> Result<(), StoreError> {
        let due = self.writebacks.with(|o| o.due(now));
        for p in due {
            let outcome = match self.platforms.get(&p.shipment.platform).cloned() {
                None => Err(WritebackError::Config(format!(
                    "no [labels] platforms entry for {:?}",
                    p.shipment.platform
                ))),
                Some(platform) => {
                    let shipment = p.shipment.clone();
                    tokio::task::spawn_blocking(move || platform.confirm_shipment(&shipment))
                        .await
                        .unwrap_or_else(|_| Err(WritebackError::Config("call interrupted".into())))
                }
            };
            match &outcome {
                Ok(()) => info!(order = p.order, "tracking number written back"),
                Err(e) if e.acknowledged() => info!(order = p.order, "platform already had it"),
                Err(e) => warn!(order = p.order, error = %e, "write-back failed"),
            }
            self.writebacks
                .with(|o| o.record(p.order, &outcome, crate::clock::wall_ms()));
            self.persist(p.order)?;
        }
        Ok(())
    }
}

/// Runs the worker until `cancel`.
pub async fn run(mut worker: Worker, beat: Beat, cancel: CancellationToken) {
    if let Err(e) = worker.load() {
        warn!(error = %e, "write-backs not loaded; new ones are still taken");
    }
    loop {
        beat.now();
        tokio::select! {
            _ = cancel.cancelled() => return,
            ids = worker.labelled.recv() => match ids {
                None => return,
                Some(ids) => {
                    for id in ids {
                        if let Err(e) = worker.enqueue(id, crate::clock::wall_ms()) {
                            warn!(order = id, error = %e, "write-back not recorded");
                        }
                    }
                }
            },
            _ = tokio::time::sleep(TICK) => {}
        }
        if let Err(e) = worker.call_due(crate::clock::wall_ms()).await {
            warn!(error = %e, "write-back store failed; retried");
        }
    }
}
