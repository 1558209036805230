//! The device registry file, `DATA/devices.json`.
//!
//! A [`LockedJson`] data file: every change is a read-modify-write under an
//! exclusive `flock` on `DATA/devices.lock`, so two `hub device` commands
//! at once never lose an update, and lands by rename of a fsynced
//! temporary file (mode 0600), so the running hub, which re-reads the file
//! when it changes, only ever sees a whole old file or a whole new one.

use super::secrets::{self, RandomError};
use crate::datafile::{DataFile, DataFileError, LockedJson};
use protocol::auth::{encode_hex, DeviceKey};
use protocol::DeviceCredentials;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The registry file's name in the data directory.
pub const FILE_NAME: &str = "devices.json";

/// Whether a device may connect and send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    /// It may.
    Active,
    /// It was revoked: refused at connect, its batches dead-lettered.
    Revoked,
}

/// What a device is: a handheld (events, status, work queues) or a
/// printer station (label jobs and their reports). The broker's ACLs
/// (`hub device acl`) follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// A handheld with the agent.
    #[default]
    Handheld,
    /// A printer station (`agent station`).
    PrinterStation,
}

/// One device as stored. The broker password is kept only as a salted
/// hash; the key is kept whole, since the hub needs it to check tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    /// Device id (also its MQTT username).
    pub id: String,
    /// The site it belongs to.
    pub site: String,
    /// Salt of `password_sha256`, hex.
    pub password_salt: String,
    /// SHA-256 of salt and password, hex.
    pub password_sha256: String,
    /// The broker password as Mosquitto 2 hashes it (`$7$...`), for
    /// `hub device acl --format mosquitto`; absent for devices provisioned
    /// before that export existed (rotate them to get one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mosquitto_hash: Option<String>,
    /// The current batch-signing key, hex.
    pub key: String,
    /// 1 when provisioned, +1 per rotation.
    pub key_version: u32,
    /// Active or revoked.
    pub status: DeviceStatus,
    /// Handheld or printer station (absent in files from before stations:
    /// handheld).
    #[serde(default, skip_serializing_if = "is_handheld")]
    pub kind: DeviceKind,
    /// When it was provisioned, ms since the Unix epoch.
    pub created_ms: u64,
    /// When its secrets were last rotated.
    pub rotated_ms: Option<u64>,
    /// When it was revoked.
    pub revoked_ms: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFile {
    /// Format version, 1.
    pub version: u32,
    /// Every device ever provisioned (revoked ones stay, marked).
    pub devices: Vec<DeviceRecord>,
}

impl DataFile for RegistryFile {
    const FILE_NAME: &'static str = FILE_NAME;
    const LOCK_NAME: &'static str = "devices.lock";
    const WHAT: &'static str = "device registry";
    const VERSION: u32 = 1;

    fn empty() -> RegistryFile {
        RegistryFile {
            version: 1,
            devices: Vec::new(),
        }
    }

    fn version(&self) -> u32 {
        self.version
    }
}

/// Why a registry operation failed.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// Reading, writing or locking the file failed, or it is not a registry.
    #[error(transparent)]
    File(#[from] DataFileError),
    /// `add` of an id that is already registered.
    #[error("device {0:?} already exists (use `hub device rotate` for new secrets)")]
    Exists(String),
    /// An id that is not registered.
    #[error("no device {0:?} in the registry")]
    Unknown(String),
    /// A device or site id that cannot be one.
    #[error("bad id: {0}")]
    BadId(String),
    /// The same device named twice in one command.
    #[error("device {0:?} is named twice")]
    Duplicate(String),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The registry of one data directory.
#[derive(Debug, Clone)]
pub struct Registry {
    file: LockedJson<RegistryFile>,
}

impl Registry {
    /// The registry in data directory `dir` (created on the first write).
    pub fn new(dir: &Path) -> Registry {
        Registry {
            file: LockedJson::new(dir),
        }
    }

    /// The registry file's path.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// Reads the file; a missing file is an empty registry.
    pub fn load(&self) -> Result<RegistryFile, RegistryError> {
        Ok(self.file.load()?)
    }

    /// Runs `change` on the file under the lock and writes the result back
    /// (only if `change` succeeds).
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut RegistryFile) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        self.file.update(change)
    }

    /// Provisions handhelds `ids` for `site`, all or none; returns their
    /// secrets.
    pub fn add(
        &self,
        ids: &[String],
        site: &str,
        now_ms: u64,
    ) -> Result<Vec<DeviceCredentials>, RegistryError> {
        self.add_kind(ids, site, DeviceKind::Handheld, now_ms)
    }

    /// Provisions `ids` of `kind` for `site`, all or none; returns their
    /// secrets.
    pub fn add_kind(
        &self,
        ids: &[String],
        site: &str,
        kind: DeviceKind,
        now_ms: u64,
    ) -> Result<Vec<DeviceCredentials>, RegistryError> {
        check_site(site)?;
        for (i, id) in ids.iter().enumerate() {
            check_device_id(id)?;
            if ids[..i].contains(id) {
                return Err(RegistryError::Duplicate(id.clone()));
            }
        }
        self.update(|file| {
            if let Some(old) = ids.iter().find(|id| file.find(id).is_some()) {
                return Err(RegistryError::Exists(old.clone()));
            }
            let mut issued = Vec::with_capacity(ids.len());
            for id in ids {
                let (mut record, creds) = new_record(id, site, now_ms)?;
                record.kind = kind;
                file.devices.push(record);
                issued.push(creds);
            }
            Ok(issued)
        })
    }

    /// Marks `id` revoked (its secrets stop working).
    pub fn revoke(&self, id: &str, now_ms: u64) -> Result<(), RegistryError> {
        self.update(|file| {
            let record = file.find_mut(id)?;
            record.status = DeviceStatus::Revoked;
            record.revoked_ms = Some(now_ms);
            Ok(())
        })
    }

    /// New password and key for `id` (the old ones stop working); a revoked
    /// device stays revoked. Returns the new secrets.
    pub fn rotate(&self, id: &str, now_ms: u64) -> Result<DeviceCredentials, RegistryError> {
        self.update(|file| {
            let record = file.find_mut(id)?;
            let (mut fresh, mut creds) = new_record(id, &record.site, record.created_ms)?;
            fresh.key_version = record.key_version.saturating_add(1);
            fresh.status = record.status;
            fresh.kind = record.kind;
            fresh.revoked_ms = record.revoked_ms;
            fresh.rotated_ms = Some(now_ms);
            creds.key_version = fresh.key_version;
            *record = fresh;
            Ok(creds)
        })
    }
}

fn is_handheld(kind: &DeviceKind) -> bool {
    *kind == DeviceKind::Handheld
}

impl RegistryFile {
    /// The record of `id`.
    pub fn find(&self, id: &str) -> Option<&DeviceRecord> {
        self.devices.iter().find(|d| d.id == id)
    }

    fn find_mut(&mut self, id: &str) -> Result<&mut DeviceRecord, RegistryError> {
        self.devices
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(|| RegistryError::Unknown(id.to_string()))
    }
}

fn new_record(
    id: &str,
    site: &str,
    now_ms: u64,
) -> Result<(DeviceRecord, DeviceCredentials), RegistryError> {
    let password = secrets::new_password()?;
    let salt = secrets::random_bytes::<{ secrets::SALT_LEN }>()?;
    let key = DeviceKey::from_bytes(secrets::random_bytes::<{ secrets::SECRET_LEN }>()?);
    let record = DeviceRecord {
        id: id.to_string(),
        site: site.to_string(),
        password_salt: encode_hex(&salt),
        password_sha256: encode_hex(&secrets::password_hash(&salt, &password)),
        mosquitto_hash: Some(super::mosquitto::new_password_hash(&password)?),
        key: key.to_hex(),
        key_version: 1,
        status: DeviceStatus::Active,
        kind: DeviceKind::Handheld,
        created_ms: now_ms,
        rotated_ms: None,
        revoked_ms: None,
    };
    let creds = DeviceCredentials {
        device: id.to_string(),
        site: site.to_string(),
        username: id.to_string(),
        password,
        key: key.to_hex(),
        key_version: 1,
    };
    Ok((record, creds))
}

/// A device id the topics can carry and that is not the hub's own login.
pub fn check_device_id(id: &str) -> Result<(), RegistryError> {
    protocol::validate::check_id("device", id).map_err(|e| RegistryError::BadId(e.to_string()))?;
    refuse_dollar("device id", id)?;
    if id == super::INTERNAL_USERNAME {
        return Err(RegistryError::BadId(format!(
            "device id {id:?} is reserved for the hub itself"
        )));
    }
    Ok(())
}

fn check_site(site: &str) -> Result<(), RegistryError> {
    protocol::validate::check_id("site", site).map_err(|e| RegistryError::BadId(e.to_string()))?;
    refuse_dollar("site", site)
}

/// MQTT brokers refuse a `$` in a client id (`agent-{site}-{device}`), so
/// a device with one could never connect: refuse it when it is provisioned.
fn refuse_dollar(what: &str, id: &str) -> Result<(), RegistryError> {
    if id.contains('$') {
        return Err(RegistryError::BadId(format!(
            "{what} {id:?} contains '$', which MQTT brokers refuse in client ids"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
