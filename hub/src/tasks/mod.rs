//! The hub's shell around the work queues of [`hub_core::tasks`]: the
//! `[tasks]` configuration (zones, the devices that work them, batch caps,
//! the offline limit, what a short pick leads to). The planning, the
//! exactly-once completion and the reassignment are pure and live in the
//! core; the writer plans once per group and sweeps with the pool.

pub mod config;
pub mod wire;

pub use config::TasksConfig;
pub use hub_core::tasks::{DeviceZone, ShortDecision, Zone};
