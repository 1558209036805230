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
//! [`intake`] turns raw MQTT publishes into batches or dead letters; it,
//! [`pool`] and the domain modules it combines ([`pool_batches`]: the
//! per (device, epoch) watermarks, reading what was applied through an
//! [`events::AppliedLog`] the store implements; [`reservations`],
//! [`pool_reservations`], [`safety`], [`alerts`], [`discrepancies`],
//! [`lots`], [`reconcile`], [`erp`]) are pure and synchronous, driven by
//! an injectable [`clock`].

pub mod alerts;
pub mod api;
pub mod availability;
pub mod beat;
pub mod broker;
pub mod changes;
pub mod clock;
pub mod commands;
pub mod config;
pub mod datafile;
pub mod devices;
pub mod discrepancies;
pub mod erp;
pub mod errors;
pub mod events;
pub mod fleet;
pub mod health;
pub mod idempotency;
pub mod intake;
pub mod lots;
pub mod metrics;
pub mod mqtt;
pub mod nodelay;
pub mod parts;
pub mod pool;
pub mod pool_alerts;
pub mod pool_batches;
pub mod pool_reservations;
pub mod reconcile;
pub mod reconciler;
pub mod reservations;
pub mod reserved_view;
pub mod run;
pub mod safety;
pub mod sealer;
pub mod store;
mod store_applied;
pub mod store_check;
mod store_codec;
mod store_reads;
mod store_reclaim;
pub mod timers;
pub mod tokens;
pub mod writer;

pub use config::HubConfig;
pub use run::{run, start, start_with_clock, HubError, RunningHub};
