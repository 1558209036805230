//! Work queues (issue 15): paid, routed orders become pick lists and
//! discrepancies become count tasks, given to the handhelds by zone, each
//! device holding a versioned queue; scans close lines exactly once; a
//! device gone too long loses its open lines, and only those, to another.
//!
//! This is the pure half of "returns work queues": the hub's shell feeds
//! it orders, a stock view, counts, scans and device sightings, stores
//! [`TaskChanges`] in the same batch as the pool's, and carries out the
//! [`Effect`]s (send a device its sealed queue, move an order, record a
//! discrepancy) after the commit. Time comes in as `now`; nothing here
//! reads a clock, a disk or a socket.
//!
//! - [`location`]: location codes in walking order.
//! - [`model`]: tasks, lines, pick lists, queues, order progress.
//! - [`rules`]: zones, devices, caps, the offline limit, the short-pick
//!   decision.
//! - [`planner`]: orders and stock to pick lists (pure function).
//! - [`book`]: the [`TaskBook`] and what it stores; [`enqueue`],
//!   [`completion`] and [`reassign`] are its commands.

pub mod book;
pub mod cancel;
pub mod completion;
pub mod enqueue;
pub mod location;
pub mod model;
pub mod outcome;
pub mod packing;
pub mod planner;
pub mod reassign;
pub mod rules;

pub use book::{TaskBook, TaskChanges, TaskParts};
pub use completion::{Completed, LineDone, Report};
pub use enqueue::{CountRequest, Planned};
pub use location::Location;
pub use model::{
    BatchCaps, Class, DeviceQueue, LineState, OrderPick, PickList, PickState, PlannedLine, Rank,
    ScanKey, Task, TaskKind, TaskLine,
};
pub use outcome::{Effect, ShortPick, TaskError};
pub use planner::{plan, OrderToPick, Plan, StockCell, StockView, Unplannable};
pub use rules::{DeviceZone, ShortDecision, TaskRules, Zone};

#[cfg(test)]
mod planner_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
