//! What the pool hands the store: everything one group changed, written in
//! one atomic sled batch ([`Changes`]), and everything the store hands back
//! at start ([`PoolParts`]).

use crate::alerts::Alert;
use crate::allocations::Allocation;
use crate::discrepancies::{CountTask, Discrepancy};
use crate::events::{DeadLetter, DeviceEpoch, DeviceRecord, EventRecord, StockKey};
use crate::feed::FeedEvent;
use crate::fleet::FleetRow;
use crate::lots::LotInfo;
use crate::orders::{AuditEntry, Customer, Order};
use crate::printing::{PrintChanges, PrintParts};
use crate::reservations::{Reservation, SharedReservation};
use crate::safety::SafetyRule;
use crate::tasks::{TaskChanges, TaskParts};
use std::collections::HashMap;

/// Everything changed since the last [`crate::pool::Pool::take_changes`],
/// to be written atomically.
#[derive(Debug, Default)]
pub struct Changes {
    /// New on-hand per changed key.
    pub stock: Vec<(StockKey, i64)>,
    /// New record per changed (device, epoch) stream.
    pub devices: Vec<(DeviceEpoch, DeviceRecord)>,
    /// New event log entries with their ids.
    pub events: Vec<(u64, EventRecord)>,
    /// New dead letters with their ids.
    pub dead_letters: Vec<(u64, DeadLetter)>,
    /// Next event id after these.
    pub next_event: u64,
    /// Next dead-letter id after these.
    pub next_dead: u64,
    /// Reservations created or changed, in their new state, by id.
    pub reservations: Vec<SharedReservation>,
    /// Reservations with ids from this one on were created in this group
    /// (the store writes them as one log record, the others one by one).
    pub new_reservations_from: u64,
    /// Ended reservations past their retention, sorted by id: the store
    /// removes their records in this same batch.
    pub pruned_reservations: Vec<u64>,
    /// New reserved total per changed SKU (published after the commit,
    /// not stored: see [`crate::reserved_view`]).
    pub reserved: Vec<(String, i64)>,
    /// Safety rules set (Some) or removed (None).
    pub safety: Vec<(String, Option<SafetyRule>)>,
    /// Alerts raised, repeated, acknowledged or cleared, in their new
    /// state, with their ids.
    pub alerts: Vec<(u64, Alert)>,
    /// The change feed's events for these changes, with their ids
    /// (filled by [`crate::pool::Pool::take_changes_with_feed`]).
    pub feed: Vec<(u64, FeedEvent)>,
    /// Fleet table rows changed.
    pub fleet: Vec<(String, FleetRow)>,
    /// Discrepancies opened or closed.
    pub discrepancies: Vec<Discrepancy>,
    /// Count tasks opened or done.
    pub count_tasks: Vec<CountTask>,
    /// Lots first seen: (sku, lot, info).
    pub lots: Vec<(String, String, LotInfo)>,
    /// Orders created or changed, in their new state.
    pub orders: Vec<Order>,
    /// Customers created or changed.
    pub customers: Vec<Customer>,
    /// Customer records removed (merged into another).
    pub removed_customers: Vec<String>,
    /// Audit entries appended, with their ids.
    pub audits: Vec<(u64, AuditEntry)>,
    /// Channel allocations made or changed.
    pub allocations: Vec<Allocation>,
    /// Tasks, order progress and queue versions changed.
    pub tasks: TaskChanges,
    /// Label batches and jobs made or changed.
    pub printing: PrintChanges,
    /// Next ids of the records above.
    pub next_ids: NextIds,
}

impl Changes {
    /// About how many records the store writes for these changes.
    pub fn records(&self) -> usize {
        self.stock.len()
            + self.devices.len()
            + 2 * self.events.len()
            + 2 * self.dead_letters.len()
            + self.reservations.len()
            + 2 * self.pruned_reservations.len()
            + self.safety.len()
            + self.alerts.len()
            + self.feed.len()
            + self.fleet.len()
            + self.discrepancies.len()
            + self.count_tasks.len()
            + self.lots.len()
            + self.orders.len()
            + self.customers.len()
            + self.audits.len()
            + self.allocations.len()
            + self.removed_customers.len()
            + self.tasks.tasks.len()
            + self.tasks.orders.len()
            + self.tasks.versions.len()
            + self.printing.jobs.len()
            + self.printing.batches.len()
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.stock.is_empty()
            && self.devices.is_empty()
            && self.events.is_empty()
            && self.dead_letters.is_empty()
            && self.reservations.is_empty()
            && self.pruned_reservations.is_empty()
            && self.reserved.is_empty()
            && self.safety.is_empty()
            && self.alerts.is_empty()
            && self.fleet.is_empty()
            && self.discrepancies.is_empty()
            && self.count_tasks.is_empty()
            && self.lots.is_empty()
            && self.orders.is_empty()
            && self.customers.is_empty()
            && self.audits.is_empty()
            && self.allocations.is_empty()
            && self.removed_customers.is_empty()
            && self.tasks.is_empty()
            && self.printing.is_empty()
    }
}

/// The id counters kept under `m` in the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NextIds {
    /// Next reservation id.
    pub reservation: u64,
    /// Next alert id.
    pub alert: u64,
    /// Next discrepancy id.
    pub discrepancy: u64,
    /// Next count task id.
    pub count_task: u64,
    /// Next order id.
    pub order: u64,
    /// Next audit entry id.
    pub audit: u64,
    /// Next allocation id.
    pub allocation: u64,
    /// Next change-feed id.
    pub feed: u64,
}

/// The durable state a pool is loaded from.
#[derive(Debug, Default)]
pub struct PoolParts {
    /// On hand per key (zeros included: a SKU seen once stays known).
    pub stock: HashMap<StockKey, i64>,
    /// Watermarks per (device, epoch) stream.
    pub devices: HashMap<DeviceEpoch, DeviceRecord>,
    /// Next event log id.
    pub next_event: u64,
    /// Next dead-letter id.
    pub next_dead: u64,
    /// Every stored reservation (active ones are loaded into the book).
    pub reservations: Vec<Reservation>,
    /// Safety rules.
    pub safety: Vec<(String, SafetyRule)>,
    /// The stored fleet table.
    pub fleet: Vec<(String, FleetRow)>,
    /// Stored alerts not cleared.
    pub open_alerts: Vec<(u64, Alert)>,
    /// Open discrepancies.
    pub open_discrepancies: Vec<Discrepancy>,
    /// Open count tasks.
    pub open_tasks: Vec<CountTask>,
    /// Known lots.
    pub lots: Vec<(String, String, LotInfo)>,
    /// Stored orders: the open ones, when final ones are read back from
    /// an archive (see [`crate::orders::archive`]).
    pub orders: Vec<Order>,
    /// Every stored customer.
    pub customers: Vec<Customer>,
    /// Every stored channel allocation.
    pub allocations: Vec<Allocation>,
    /// Stored tasks, order progress and queue versions.
    pub tasks: TaskParts,
    /// Unfinished label jobs and their batches.
    pub printing: PrintParts,
    /// Id counters.
    pub next_ids: NextIds,
}
