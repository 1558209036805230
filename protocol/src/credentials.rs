//! The credentials file: what `hub device add --out FILE` (and `rotate`)
//! writes and what an agent or a fleet reads with `--credentials FILE`.
//! JSON, one entry per device; the hub shows these secrets only once.
//!
//! Plain data here (no I/O) so the hub that writes the file and the agents
//! that read it, which never depend on each other, share one definition.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One device's credentials, as issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCredentials {
    /// Device id.
    pub device: String,
    /// The site it is registered for.
    pub site: String,
    /// MQTT username (the device id).
    pub username: String,
    /// MQTT password (64 hex digits).
    pub password: String,
    /// The secret key that signs event batches (64 hex digits).
    pub key: String,
    /// Which key this is (1 at provisioning, +1 on every rotation).
    pub key_version: u32,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    /// One entry per device.
    pub devices: Vec<DeviceCredentials>,
}

impl CredentialsFile {
    /// The entry for `device`, if the file has one.
    pub fn device(&self, device: &str) -> Option<&DeviceCredentials> {
        self.devices.iter().find(|d| d.device == device)
    }
}

impl fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets stay out of every log line and panic message.
        f.debug_struct("DeviceCredentials")
            .field("device", &self.device)
            .field("site", &self.site)
            .field("username", &self.username)
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}
