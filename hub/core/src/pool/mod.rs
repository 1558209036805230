//! The site's stock pool as plain, synchronous, deterministic state.
//!
//! The writer thread owns the only `Pool`. Applying a batch changes memory
//! and records what changed; the writer then writes exactly those changes in
//! one atomic sled batch and flushes once for the whole group. Because the
//! watermark and the stock move in the same write, a batch is applied
//! exactly once however often it is delivered. Watermarks are kept per
//! (device, journal epoch), and a resend is compared with what was applied
//! ([`crate::pool::batches`]).
//!
//! Besides on-hand per SKU x location x lot, the pool keeps per-SKU levels
//! (on hand, reserved) and the books of the concepts built on them:
//! [`crate::reservations`], [`crate::safety`], [`crate::alerts`],
//! [`crate::discrepancies`] and [`crate::lots`]. Physical movements are
//! never refused; what they contradict is recorded (see
//! [`Pool::apply_batch`]). Reservation commands live in
//! [`crate::pool::reservations`], alert rules in [`crate::pool::alerts`],
//! the per-location view in [`crate::availability`].

use crate::alerts::AlertBook;
use crate::allocations::AllocationBook;
use crate::discrepancies::{Counted, DiscrepancyBook};
use crate::fleet::FleetBook;
pub mod alerts;
pub mod allocations;
mod archived;
pub mod batches;
pub mod census;
pub mod customers;
mod feed;
mod fleet;
mod handoff;
pub mod order_life;
pub mod orders;
pub mod printing;
pub mod reservations;
pub mod returns;
pub mod tasks;

use crate::events::snapshot;
pub use crate::events::{
    apply_movement, replay, AppliedLog, BatchOutcome, DeadLetter, DeviceEpoch, DeviceRecord,
    EventRecord, StockKey,
};
use crate::lots::LotBook;
use crate::orders::Orders;
use crate::printing::{PrintBook, PrintRules};
use crate::reservations::{Reservation, ReservationBook};
use crate::safety::SafetyBook;
use crate::tasks::{TaskBook, TaskRules};
use protocol::{Movement, MovementKind};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub use crate::changes::{Changes, NextIds, PoolParts};

/// Per-SKU totals the pool keeps beside the per-key stock.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SkuLevel {
    /// On hand, all locations and lots.
    pub on_hand: i64,
    /// Outstanding quantity of active reservations.
    pub reserved: i64,
    /// On hand per location, all lots.
    pub by_location: HashMap<String, i64>,
    /// On hand at quarantine locations (`QUAR...`): counted, never available.
    pub quarantined: i64,
}

impl SkuLevel {
    /// On hand - reserved - quarantined.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved - self.quarantined
    }
}

/// Whether stock at `location` is in quarantine (counted, not available).
pub fn is_quarantine(location: &str) -> bool {
    location.starts_with(protocol::QUARANTINE_PREFIX)
}

/// The in-memory pool, with the set of changes not yet written.
#[derive(Debug, Default)]
pub struct Pool {
    stock: HashMap<StockKey, i64>,
    pub(crate) devices: HashMap<DeviceEpoch, DeviceRecord>,
    pub(crate) next_event: u64,
    next_dead: u64,
    dirty_stock: HashSet<StockKey>,
    pub(crate) dirty_devices: HashSet<DeviceEpoch>,
    pub(crate) new_events: Vec<(u64, EventRecord)>,
    /// Stream -> index in `new_events` of its entry in the pending group.
    pub(crate) open_entries: HashMap<DeviceEpoch, usize>,
    pub(crate) new_dead: Vec<(u64, DeadLetter)>,
    pub(crate) levels: HashMap<String, SkuLevel>,
    pub(crate) dirty_reserved: HashSet<String>,
    /// Units confirmed reservations were told to pick and have not, per key.
    pub(crate) allocated: HashMap<StockKey, i64>,
    pub(crate) book: ReservationBook,
    pub(crate) safety: SafetyBook,
    pub(crate) alerts: AlertBook,
    /// The next change-feed id (see [`crate::feed`]).
    pub(crate) next_feed: u64,
    /// The fleet table (see [`crate::fleet`]).
    pub(crate) fleet: FleetBook,
    pub(crate) discrepancies: DiscrepancyBook,
    pub(crate) lots: LotBook,
    pub(crate) orders: Orders,
    pub(crate) allocations: AllocationBook,
    /// Work queues (see [`tasks`]).
    pub(crate) tasks: TaskBook,
    /// Label batches and jobs (see [`printing`]).
    pub(crate) printing: PrintBook,
    /// Orders whose label printed since the last take (their tracking
    /// numbers go back to their platforms).
    pub(crate) labelled: Vec<u64>,
    /// Order by the tracking number on its label (what a `ship` scan reads).
    pub(crate) by_tracking: HashMap<String, u64>,
    /// Orders routed here and not planned yet.
    pub(crate) to_plan: BTreeSet<u64>,
    /// Devices whose queue changed (or must be sent again).
    pub(crate) queue_pushes: BTreeSet<String>,
    /// A count task may have opened since the sweep last queued them.
    pub(crate) counts_to_queue: bool,
    /// What happened since the last [`Pool::take_counts`].
    pub(crate) counts: PoolCounts,
}

/// Events the writer turns into `/metrics` counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolCounts {
    /// New holds.
    pub held: u64,
    /// Refused reservations (stock or safety).
    pub refused: u64,
    /// Holds expired.
    pub expired: u64,
    /// Discrepancies recorded.
    pub discrepancies: u64,
}

impl Pool {
    /// A pool with the given stock and watermarks and nothing else.
    pub fn from_parts(
        stock: HashMap<StockKey, i64>,
        devices: HashMap<DeviceEpoch, DeviceRecord>,
        next_event: u64,
        next_dead: u64,
    ) -> Pool {
        Pool::load(PoolParts {
            stock,
            devices,
            next_event,
            next_dead,
            ..PoolParts::default()
        })
    }

    /// A pool with the given persisted state and nothing pending.
    pub fn load(mut parts: PoolParts) -> Pool {
        let mut levels: HashMap<String, SkuLevel> = HashMap::new();
        for (key, &on_hand) in &parts.stock {
            let level = levels.entry(key.sku.clone()).or_default();
            level.on_hand += on_hand;
            *level.by_location.entry(key.location.clone()).or_insert(0) += on_hand;
            if is_quarantine(&key.location) {
                level.quarantined += on_hand;
            }
        }
        let book = ReservationBook::load(parts.reservations, parts.next_ids.reservation);
        let mut allocated: HashMap<StockKey, i64> = HashMap::new();
        for r in book.active() {
            for line in &r.lines {
                levels.entry(line.sku.clone()).or_default().reserved += line.outstanding();
            }
            for a in &r.allocations {
                *allocated.entry(a.key()).or_insert(0) += a.remaining();
            }
        }
        let allocations = AllocationBook::load(parts.allocations, parts.next_ids.allocation);
        for a in allocations.active() {
            levels.entry(a.sku.clone()).or_default().reserved += a.remaining;
        }
        // A fully picked allocation leaves nothing allocated, as live.
        allocated.retain(|_, remaining| *remaining != 0);
        for (sku, _) in &parts.safety {
            levels.entry(sku.clone()).or_default();
        }
        let safety = SafetyBook::load(parts.safety, |sku| {
            levels.get(sku).map_or(0, SkuLevel::available)
        });
        let by_tracking = parts
            .orders
            .iter()
            .filter_map(|o| o.shipment.as_ref().map(|s| (s.tracking.clone(), o.id)))
            .collect();
        Pool {
            by_tracking,
            stock: parts.stock,
            devices: parts.devices,
            next_event: parts.next_event.max(1),
            next_dead: parts.next_dead.max(1),
            levels,
            allocated,
            book,
            safety,
            alerts: AlertBook::load(std::mem::take(&mut parts.open_alerts), parts.next_ids.alert),
            discrepancies: DiscrepancyBook::load(
                parts.open_discrepancies,
                parts.open_tasks,
                parts.next_ids.discrepancy,
                parts.next_ids.count_task,
            ),
            lots: LotBook::load(parts.lots),
            allocations,
            orders: Orders::load(
                parts.orders,
                parts.customers,
                parts.next_ids.order,
                parts.next_ids.audit,
            ),
            tasks: TaskBook::load(TaskRules::default(), parts.tasks, 0),
            next_feed: parts.next_ids.feed.max(1),
            fleet: FleetBook::load(std::mem::take(&mut parts.fleet), Default::default()),
            printing: PrintBook::load(parts.printing, PrintRules::default(), 0),
            ..Pool::default()
        }
    }

    /// The watermark of a device's stream in one epoch (0 when unknown).
    pub fn watermark(&self, device: &str, epoch: u64) -> u64 {
        let stream = DeviceEpoch {
            device: device.to_string(),
            epoch,
        };
        self.devices.get(&stream).map_or(0, |d| d.watermark)
    }

    /// The record of one stream, if the pool has applied anything of it.
    pub fn stream(&self, stream: &DeviceEpoch) -> Option<&DeviceRecord> {
        self.devices.get(stream)
    }

    /// On-hand at one key (0 when unknown).
    pub fn on_hand(&self, key: &StockKey) -> i64 {
        self.stock.get(key).copied().unwrap_or(0)
    }

    /// Every non-zero stock entry, sorted.
    pub fn stock_snapshot(&self) -> BTreeMap<StockKey, i64> {
        snapshot(&self.stock)
    }

    /// The levels of a SKU, if the pool knows it.
    pub fn level(&self, sku: &str) -> Option<&SkuLevel> {
        self.levels.get(sku)
    }

    /// Available (on hand - reserved) of a SKU; 0 when unknown.
    pub fn available(&self, sku: &str) -> i64 {
        self.levels.get(sku).map_or(0, SkuLevel::available)
    }

    /// Available of every SKU the pool knows, by SKU: the same figure
    /// [`Pool::available`] and the change feed's `stock` events give.
    pub fn available_by_sku(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = self
            .levels
            .iter()
            .map(|(sku, level)| (sku.clone(), level.available()))
            .collect();
        out.sort();
        out
    }

    /// The id the next event log entry will get.
    pub fn next_event(&self) -> u64 {
        self.next_event
    }

    /// Every non-zero reserved total, sorted by SKU.
    pub fn reserved_totals(&self) -> BTreeMap<String, i64> {
        self.levels
            .iter()
            .filter(|(_, l)| l.reserved != 0)
            .map(|(sku, l)| (sku.clone(), l.reserved))
            .collect()
    }

    /// Every active reservation.
    pub fn active_reservations(&self) -> impl Iterator<Item = &Reservation> {
        self.book.active()
    }

    pub(crate) fn apply_one(&mut self, m: &Movement, device: &str, epoch: u64, now: u64) {
        if m.kind == MovementKind::Ship {
            // No stock moves: the parcel's order leaves.
            self.ship_scan(m, now);
            return;
        }
        let takes = matches!(
            m.kind,
            MovementKind::Pick | MovementKind::Move | MovementKind::Putaway
        );
        // One look-up of the SKU's level for what the hooks below compare.
        let (available, at_location) = match self.levels.get(&m.sku) {
            Some(level) if takes => (
                level.available(),
                level.by_location.get(&m.location).copied().unwrap_or(0),
            ),
            Some(level) => (level.available(), 0),
            None => (0, 0),
        };
        let lot = m.lot.as_deref().unwrap_or("");
        let key_before = match m.kind {
            MovementKind::Count => self.on_hand(&StockKey {
                sku: m.sku.clone(),
                location: m.location.clone(),
                lot: lot.to_string(),
            }),
            _ => 0,
        };
        let (levels, dirty) = (&mut self.levels, &mut self.dirty_stock);
        apply_movement(&mut self.stock, m, &mut |k, delta| {
            if !dirty.contains(k) {
                dirty.insert(k.clone());
            }
            let level = match levels.get_mut(&k.sku) {
                Some(level) => level,
                None => levels.entry(k.sku.clone()).or_default(),
            };
            level.on_hand += delta;
            if is_quarantine(&k.location) {
                level.quarantined += delta;
            }
            match level.by_location.get_mut(&k.location) {
                Some(v) => *v += delta,
                None => {
                    level.by_location.insert(k.location.clone(), delta);
                }
            }
        });
        self.lots.note(&m.sku, lot, now);
        if takes && at_location < m.quantity {
            self.uncovered(m, device, at_location, now);
        }
        if m.kind == MovementKind::Count {
            let counted = Counted {
                movement: m,
                device,
                before: key_before,
            };
            self.discrepancies.counted(counted, now);
        }
        if m.kind == MovementKind::Return {
            self.return_scan(m, now);
        } else if let Some(task) = &m.task {
            let on_list = self.task_scan(device, epoch, m, now);
            if !on_list && m.kind == MovementKind::Pick {
                self.task_pick(task, m, now);
            }
        }
        self.available_changed(&m.sku, available, now);
    }

    /// Counts since the last call.
    pub fn take_counts(&mut self) -> PoolCounts {
        std::mem::take(&mut self.counts)
    }

    /// [`Pool::take_changes`], with the change feed's events for them,
    /// stamped `now` and numbered.
    pub fn take_changes_with_feed(&mut self, now: u64) -> Changes {
        let mut changes = self.take_changes();
        let events = self.feed_of(&changes, now);
        let first = self.next_feed.max(1);
        self.next_feed = first + events.len() as u64;
        changes.feed = (first..).zip(events).collect();
        changes.next_ids.feed = self.next_feed;
        changes
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
        let reserved = self
            .dirty_reserved
            .drain()
            .map(|sku| {
                let v = self.levels.get(&sku).map_or(0, |l| l.reserved);
                (sku, v)
            })
            .collect();
        self.open_entries.clear();
        let (orders, customers, next_order) = self.orders.book.take_changes();
        self.forget_tracking(&orders);
        self.clear_order_alerts(&orders);
        let (alerts, next_alert) = self.alerts.take_changes();
        let (discrepancies, count_tasks, next_discrepancy, next_task) =
            self.discrepancies.take_changes();
        let (reservations, new_reservations_from) = self.book.take_changes();
        let (audits, next_audit) = self.orders.audit.take_changes();
        let (allocations, next_allocation) = self.allocations.take_changes();
        Changes {
            stock,
            devices,
            events: std::mem::take(&mut self.new_events),
            dead_letters: std::mem::take(&mut self.new_dead),
            next_event: self.next_event,
            next_dead: self.next_dead,
            reservations,
            new_reservations_from,
            pruned_reservations: self.book.take_pruned(),
            reserved,
            safety: self.safety.take_changes(),
            alerts,
            feed: Vec::new(),
            fleet: self.fleet.take_changes(),
            discrepancies,
            count_tasks,
            lots: self.lots.take_changes(),
            orders,
            customers,
            removed_customers: self.orders.book.take_removed_customers(),
            audits,
            allocations,
            tasks: self.tasks.take_changes(),
            printing: self.printing.take_changes(),
            next_ids: NextIds {
                allocation: next_allocation,
                order: next_order,
                audit: next_audit,
                reservation: self.book.next_id(),
                alert: next_alert,
                discrepancy: next_discrepancy,
                count_task: next_task,
                feed: self.next_feed.max(1),
            },
        }
    }
}

#[cfg(test)]
mod allocations_tests;
#[cfg(test)]
mod archive_tests;
#[cfg(test)]
mod customer_archive_tests;
#[cfg(test)]
mod customers_tests;
#[cfg(test)]
mod orders_tests;
#[cfg(test)]
mod packing_tests;
#[cfg(test)]
mod tasks_tests;
#[cfg(test)]
mod tests;
