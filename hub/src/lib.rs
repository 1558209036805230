//! The sync hub: embeds the MQTT broker, applies device event batches to
//! the site's stock pool with group commit, acknowledges them, and serves
//! the HTTP API.
//!
//! Map (see ARCHITECTURE.md): [`config`] -> [`run`] starts [`broker`],
//! [`writer`] (the single writer thread that owns the [`pool`] and the
//! [`store`]), [`mqtt`] (the async shell that feeds the writer and sends
//! acks) and [`api`]. [`intake`] turns raw MQTT publishes into batches or
//! dead letters; it and [`pool`] are pure and synchronous.

pub mod api;
pub mod broker;
pub mod config;
pub mod fleet;
pub mod intake;
pub mod metrics;
pub mod mqtt;
pub mod nodelay;
pub mod pool;
pub mod run;
pub mod store;
pub mod writer;

pub use config::HubConfig;
pub use run::{run, start, HubError, RunningHub};
