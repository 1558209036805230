//! What the task book hands back: [`Effect`]s for the hub to carry out
//! after the commit (send a queue, move an order, record a discrepancy),
//! and [`TaskError`]s for reports it refuses.
//!
//! Refusals are few and are about the report, not the physical fact: the
//! movement itself still reaches the pool, which never refuses a scan
//! (promise 5). What the book refuses is closing a line on a claim that
//! contradicts the line, such as more units than it asked for.

use super::model::ScanKey;
use super::rules::ShortDecision;
use thiserror::Error;

/// Something the hub must do once the book's changes are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A device's queue changed: send it (sealed) at this version.
    QueueChanged {
        /// The device.
        device: String,
        /// The queue's new version.
        version: u64,
    },
    /// An order's lines are on lists: move it routed -> picking.
    OrderPicking {
        /// The order.
        order: u64,
    },
    /// Every unit of an order is confirmed: move it picking -> picked.
    OrderPicked {
        /// The order.
        order: u64,
    },
    /// A picker found fewer units than the line asked: record a
    /// discrepancy at the location, and act on the decision (a re-pick is
    /// planned by the next [`super::TaskBook::plan_orders`]; a backorder
    /// puts the order in exception).
    ShortPick(ShortPick),
    /// Every picked unit of an order is packed: move it picked -> packed.
    OrderPacked {
        /// The order.
        order: u64,
    },
    /// No line of a task is open any more.
    TaskDone {
        /// The task.
        task: u64,
    },
}

/// A short pick, as the discrepancy book and the order need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortPick {
    /// The task and line.
    pub task: u64,
    /// The line.
    pub line: u32,
    /// The order.
    pub order: u64,
    /// The SKU.
    pub sku: String,
    /// Where it was short.
    pub location: String,
    /// The lot suggested.
    pub lot: String,
    /// Units the line asked for.
    pub expected: i64,
    /// Units found.
    pub picked: i64,
    /// The picker's reason.
    pub reason: String,
    /// The scan that reported it.
    pub scan: ScanKey,
    /// What happens to the missing units.
    pub decision: ShortDecision,
}

/// A report the task book refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaskError {
    /// No task with this id.
    #[error("no task {0}")]
    UnknownTask(u64),
    /// The task has no such line.
    #[error("task {task} has no line {line}")]
    UnknownLine {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
    },
    /// A pack scan for a line not picked yet.
    #[error("task {task} line {line} is not picked yet; nothing to pack")]
    NotPicked {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
    },
    /// More units packed than were picked on the line.
    #[error("task {task} line {line}: {picked} picked, {packed} would be packed")]
    OverPack {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
        /// Units picked.
        picked: i64,
        /// Units that would be packed.
        packed: i64,
    },
    /// More units than the line asked for.
    #[error("task {task} line {line} asks for {planned}; {reported} is an over-pick")]
    OverPick {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
        /// Units asked.
        planned: i64,
        /// Units reported.
        reported: i64,
    },
    /// Fewer units than asked, reported as complete or with no reason:
    /// a shortfall is never silent.
    #[error("task {task} line {line}: fewer units than asked need a short pick with a reason")]
    SilentShort {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
    },
    /// A short pick that is not short, a negative quantity, or a short
    /// count.
    #[error("task {task} line {line}: {problem}")]
    BadReport {
        /// The task.
        task: u64,
        /// The line.
        line: u32,
        /// What is wrong.
        problem: &'static str,
    },
}
