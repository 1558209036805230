//! The hub's domain, pure: the site's stock [`pool`] and the concepts built
//! on it ([`reservations`] with their idempotency keys, [`safety`] stock,
//! [`lots`], [`discrepancies`] and count tasks, [`alerts`], the
//! per-location [`availability`] view), as plain, synchronous,
//! deterministic state machines: state in, commands in, answers and
//! [`changes::Changes`] out. The work queues ([`tasks`]: pick lists, count
//! tasks, their assignment to handhelds and exactly-once completion) follow
//! the same shape with their own book. Shipping [`labels`] are made here
//! too, as bytes (ZPL for the printer, a PNG preview) from plain data.
//!
//! Nothing here touches a disk, a socket, a runtime or a clock: every
//! command takes the time as a value (`now`, milliseconds), and what must
//! be made durable leaves as `Changes` for the hub's writer to commit.
//! That is what lets the unit tests, the proptests and the deterministic
//! simulation (`tests/src/sim`) drive it without sockets or sleeps, and it
//! is why this crate depends on nothing but `protocol`, `serde` and
//! `thiserror` (plus pure helpers: text normalization for orders, the
//! CRC-32 of the label preview's PNG chunks).

pub mod alerts;
pub mod allocations;
pub mod availability;
pub mod changes;
pub mod discrepancies;
pub mod errors;
pub mod events;
pub mod feed;
pub mod fleet;
pub mod labels;
pub mod lots;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod orders;
pub mod pool;
pub mod printing;
pub mod reconcile;
pub mod reservations;
pub mod safety;
pub mod tasks;
