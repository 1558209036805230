//! The device's work queue (issue 15): the task list the hub sends, kept
//! durably with the journal, worked offline, and acknowledged by version.
//!
//! Map: [`state`] is the queue as plain data (which list is newer, local
//! marks of scanned lines, the next open line); [`store`] lays it out in
//! a sled tree of the journal's database and checks it when read back;
//! [`queue`] is [`TaskQueue`], the durable shell the publisher and the UI
//! share; [`ack`] signs the `TaskAck` the device answers with. Frames
//! reach the queue only through `crate::publisher::inbound`: sealed, on
//! this device's tasks topic, fresh on that topic, valid.
//!
//! Invariant: a version is acknowledged only once the queue of that
//! version is synced to disk, so the hub never stops re-sending a list the
//! device could still lose (WIRE.md §3.10, §7.5).

pub mod ack;
pub mod queue;
pub mod state;
pub mod store;

#[cfg(test)]
mod state_props;
#[cfg(test)]
pub(crate) mod state_tests;

pub use ack::TaskAckSigner;
pub use queue::{TaskQueue, TaskQueueError};
pub use state::{LineProgress, MarkError, Offer, Progress, QueueState};
pub use store::TASKS_FORMAT;
