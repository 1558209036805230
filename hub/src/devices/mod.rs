//! Device identity (promise 9): which devices exist, their broker
//! passwords and their batch-signing keys.
//!
//! * [`registry`]: the file `DATA/devices.json`, read-modify-written under
//!   an exclusive lock by the `hub device` commands (not in sled: sled locks
//!   its directory, and provisioning must work while the hub runs).
//! * [`book`]: the in-memory snapshot the running hub checks against, one
//!   immutable [`DeviceBook`] swapped whole on every change of the file.
//! * [`reload`]: the task that watches the file and swaps the snapshot.
//! * [`auth`]: the broker's connect check (rumqttd's auth hook).
//! * [`secrets`]: random passwords, keys and salts, and password hashing.
//! * [`mosquitto`]: the per-device ACL and password files for an external
//!   Mosquitto broker.
//! * [`kick`]: disconnects a revoked device from the embedded broker.

pub mod auth;
pub mod book;
pub mod fleet;
pub mod fleet_config;
pub mod heartbeat;
pub mod kick;
pub mod mosquitto;
pub mod mosquitto_dir;
pub mod registry;
pub mod reload;
pub mod secrets;

pub use auth::{BrokerAuth, InternalLogin};
pub use book::{BookEntry, DeviceBook, Devices};
pub use registry::{DeviceKind, DeviceRecord, DeviceStatus, Registry, RegistryError, RegistryFile};

/// The MQTT client id a device must connect with.
pub fn agent_client_id(site: &str, device: &str) -> String {
    format!("agent-{site}-{device}")
}

/// The username of the hub's own connection to the embedded broker; no
/// device may take this id.
pub const INTERNAL_USERNAME: &str = "hub-internal";
