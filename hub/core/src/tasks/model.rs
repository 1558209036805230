//! What a work item is: a [`Task`] (a pick list or a count) with its
//! lines, each done exactly once; the [`PickList`] the planner builds
//! before a task exists; the per-device [`DeviceQueue`] the hub sends; and
//! an order's progress across the lists that carry its lines.
//!
//! A line keeps its identity `(task, line)` for life, because that pair is
//! what a handheld's scan names. Reassignment therefore never renumbers a
//! line in place: it opens a new task and leaves the old line
//! [`LineState::Moved`], pointing at its successor, so a late scan of the
//! old line still lands on the one live copy.

use super::location::Location;
use crate::orders::{OrderLine, Service};
use serde::{Deserialize, Serialize};

/// Urgency class: express picks, then standard picks, then counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// An express order's pick.
    Express,
    /// A standard order's pick.
    Standard,
    /// A count from a discrepancy: no order waits on it.
    Count,
}

impl From<Service> for Class {
    fn from(service: Service) -> Class {
        match service {
            Service::Express => Class::Express,
            Service::Standard => Class::Standard,
        }
    }
}

/// Where work stands in a queue: by class, then due time (earliest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rank {
    /// The class.
    pub class: Class,
    /// When it must be done (for a pick, the order's due time), ms.
    pub due_ms: u64,
}

/// What a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Pick the lines' quantities for their orders.
    Pick,
    /// Count one SKU at one location (`count_task` in the discrepancy
    /// book).
    Count {
        /// The discrepancy book's count task id.
        count_task: u64,
    },
}

/// Where a line is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Not done yet.
    Open,
    /// Done: the quantity picked (all of it) or counted.
    Confirmed(i64),
    /// Picked less than asked: what was picked, and the picker's reason.
    Short(i64, String),
    /// Handed to another device before it was done: the live copy.
    Moved {
        /// The task now holding it.
        task: u64,
        /// Its line there.
        line: u32,
    },
    /// Its order was cancelled: off the device's list; `put_back` units
    /// had been picked on it and go back to a shelf.
    Cancelled {
        /// Units picked (packed or not) before the cancel.
        put_back: i64,
    },
}

impl LineState {
    /// Whether the line still waits for a scan here.
    pub fn is_open(&self) -> bool {
        matches!(self, LineState::Open)
    }

    /// Units picked on it (0 unless confirmed or short).
    pub fn picked(&self) -> i64 {
        match self {
            LineState::Confirmed(q) | LineState::Short(q, _) => *q,
            LineState::Open | LineState::Moved { .. } | LineState::Cancelled { .. } => 0,
        }
    }
}

/// The scan that closed a line: a device's stream and sequence number
/// (the epoch matters: a wiped device counts from 1 again).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanKey {
    /// The device.
    pub device: String,
    /// Its journal epoch.
    pub epoch: u64,
    /// The movement's sequence number.
    pub seq: u64,
}

/// One line of a task: one SKU at one location (and lot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLine {
    /// Number within the task, from 0; with the task id, its identity.
    pub line: u32,
    /// The order it fills (`None` for a count).
    pub order: Option<u64>,
    /// Index of the order line it fills.
    pub order_line: u32,
    /// The SKU.
    pub sku: String,
    /// Where.
    pub location: Location,
    /// Suggested lot ("" for goods without one).
    pub lot: String,
    /// The lot's expiry, `YYYY-MM-DD`, if it has one.
    pub expiry: Option<String>,
    /// Units to pick (0 for a count: the count is what is found).
    pub quantity: i64,
    /// Where it is.
    pub state: LineState,
    /// The scan that closed it.
    pub done_by: Option<ScanKey>,
    /// Units of it packed at a packing station (at most what was picked).
    #[serde(default)]
    pub packed: i64,
}

/// A pick list or a count, assigned to a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Id (the book's counter).
    pub id: u64,
    /// The site.
    pub site: String,
    /// Pick or count.
    pub kind: TaskKind,
    /// The device doing it, once assigned.
    pub device: Option<String>,
    /// The zone its lines are in ("" for locations in no zone).
    pub zone: String,
    /// Its place in a queue.
    pub rank: Rank,
    /// Orders it carries lines of (empty for a count).
    pub orders: Vec<u64>,
    /// Lines, in walking order.
    pub lines: Vec<TaskLine>,
    /// Hub time it was made.
    pub created_ms: u64,
    /// Hub time no line was open any more (done, or moved on).
    pub closed_ms: Option<u64>,
}

impl Task {
    /// Lines still to do here.
    pub fn open_lines(&self) -> usize {
        self.lines.iter().filter(|l| l.state.is_open()).count()
    }

    /// Whether the task is still in a queue.
    pub fn is_open(&self) -> bool {
        self.closed_ms.is_none()
    }

    /// Picked (no line open) with units not packed yet: on the packing
    /// stations' lists.
    pub fn awaits_packing(&self) -> bool {
        !self.is_open()
            && self.kind == TaskKind::Pick
            && self.lines.iter().any(|l| l.state.picked() > l.packed)
    }

    /// Whether the device still needs it: open, or picked and not all
    /// packed yet (a pack station on the same device finds its lines).
    pub fn in_queue(&self) -> bool {
        let unpacked = || self.lines.iter().any(|l| l.state.picked() > l.packed);
        self.is_open() || (self.kind == TaskKind::Pick && unpacked())
    }
}

/// How big one walk may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCaps {
    /// Most orders on one list (totes on the cart).
    pub max_orders: usize,
    /// Most lines on one list.
    pub max_lines: usize,
}

impl Default for BatchCaps {
    fn default() -> BatchCaps {
        BatchCaps {
            max_orders: 8,
            max_lines: 40,
        }
    }
}

/// One pick the planner placed: a quantity of an order line at a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    /// The order.
    pub order: u64,
    /// Index of the order line.
    pub order_line: u32,
    /// The SKU.
    pub sku: String,
    /// Where.
    pub location: Location,
    /// Suggested lot.
    pub lot: String,
    /// Its expiry, if it has one.
    pub expiry: Option<String>,
    /// Units.
    pub quantity: i64,
}

/// Several orders' picks in one zone, walked once: a task before it has
/// an id and a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickList {
    /// The zone.
    pub zone: String,
    /// The most urgent of its orders.
    pub rank: Rank,
    /// Its orders, most urgent first.
    pub orders: Vec<u64>,
    /// Its lines, in walking order.
    pub lines: Vec<PlannedLine>,
}

/// What a device is sent: its open tasks, most urgent first, and the
/// version of that content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceQueue {
    /// The device.
    pub device: String,
    /// Grows on every change of `tasks`; 0 for a device never given work.
    pub version: u64,
    /// Open tasks, by rank then id.
    pub tasks: Vec<Task>,
}

/// Where an order's picking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickState {
    /// Lines on lists, not all confirmed.
    Picking,
    /// Every unit confirmed.
    Picked,
    /// A short pick was backordered: the order waits for an operator.
    Backordered,
    /// Every picked unit packed.
    Packed,
    /// The order was cancelled.
    Cancelled,
}

/// An order the book planned: what it wants and which tasks carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPick {
    /// The order.
    pub order: u64,
    /// Its rank (for re-picks).
    pub rank: Rank,
    /// Its lines as ordered.
    pub lines: Vec<OrderLine>,
    /// Tasks holding its lines.
    pub tasks: Vec<u64>,
    /// Where it stands.
    pub state: PickState,
}
