//! The sync hub: embeds the MQTT broker, applies device event batches to
//! the site's stock pool with group commit, acknowledges them, and serves
//! the HTTP API.
//!
//! Map (see ARCHITECTURE.md): [`config`] -> [`run`](mod@run) starts [`broker`],
//! [`writer`] (the single writer thread that owns the [`pool`] and the
//! [`store`]), [`mqtt`] (the async shell that feeds the writer and sends
//! acks, sealed by [`sealer`]), [`timers`] (hold sweeper, nightly reconciliation) and [`api`].
//! [`devices`] is device identity: the registry file, the broker's connect
//! check and the keys [`intake`] verifies batch tags with; [`tokens`] is
//! who may call the API. Both live in [`datafile`]s that `hub` subcommands
//! change while the hub runs.
//! [`intake`] turns raw MQTT publishes into batches or dead letters.
//! The domain ([`pool`] with its per (device, epoch) watermarks, reading
//! what was applied through an [`events::AppliedLog`] the store implements;
//! [`reservations`], [`safety`], [`alerts`], [`discrepancies`], [`lots`])
//! is the pure `hub-core` crate (hub/core), re-exported here under the same
//! names; this crate is the shell around it: the store, the writer thread,
//! the network and the API. Time reaches the core as a value, read from an
//! injectable [`clock`].

pub mod api;
pub mod beat;
pub mod carriers;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod datafile;
pub mod devices;
pub mod fakehttp;
pub mod feed;
pub mod health;
pub mod intake;
pub mod log_gate;
pub mod logs;
pub mod metrics;
pub mod net;
pub mod printing;
pub mod reconcile;
pub mod reports;
pub mod run;
pub mod sites;
pub mod store;
pub mod tasks;
pub mod tokens;
pub mod webhooks;
pub mod writeback;
pub mod writer;

// The domain lives in the pure core crate; the shell names it as before.
pub use hub_core::{
    alerts, allocations, availability, changes, discrepancies, errors, events, lots, orders, pool,
    reservations, safety,
};

pub use config::HubConfig;
pub use run::{run, start, start_with_clock, HubError, RunningHub};
