//! The running hub's view of the registry: an immutable [`DeviceBook`]
//! (keys parsed once, so checking a batch is one hash lookup and one HMAC)
//! behind [`Devices`] (a data-file [`Snapshot`]), which swaps it whole
//! when the file changes.

use super::registry::{DeviceStatus, RegistryError, RegistryFile};
use super::secrets::{constant_time_eq, password_hash};
use crate::datafile::{DataFile, DataFileError, Snapshot};
use protocol::auth::{decode_hex, DeviceKey};
use std::collections::HashMap;
use std::path::Path;

/// One registered device, ready to check.
#[derive(Debug, Clone)]
pub struct BookEntry {
    /// The site it is registered for.
    pub site: String,
    /// Whether it may connect and send.
    pub active: bool,
    /// Its current batch-signing key.
    pub key: DeviceKey,
    /// Which key that is.
    pub key_version: u32,
    salt: Vec<u8>,
    password_hash: Vec<u8>,
}

impl BookEntry {
    /// Whether `password` is this device's broker password.
    pub fn password_matches(&self, password: &str) -> bool {
        constant_time_eq(&password_hash(&self.salt, password), &self.password_hash)
    }

    /// An active entry with these secrets (tests and benchmarks that
    /// build a book without a file).
    pub fn new(site: &str, key: DeviceKey, password: &str) -> BookEntry {
        let salt = b"test-salt".to_vec();
        BookEntry {
            site: site.to_string(),
            active: true,
            key,
            key_version: 1,
            password_hash: password_hash(&salt, password).to_vec(),
            salt,
        }
    }
}

/// Every registered device, by id.
#[derive(Debug, Clone, Default)]
pub struct DeviceBook {
    entries: HashMap<String, BookEntry>,
}

impl DeviceBook {
    /// The book of a registry file; a record whose hex does not parse makes
    /// the whole file corrupt (named by `path`).
    pub fn from_file(file: &RegistryFile, path: &Path) -> Result<DeviceBook, RegistryError> {
        let mut entries = HashMap::with_capacity(file.devices.len());
        for record in &file.devices {
            let bad = |what: &str| {
                RegistryError::File(DataFileError::Corrupt {
                    what: RegistryFile::WHAT,
                    path: path.to_path_buf(),
                    message: format!("device {:?}: {what}", record.id),
                })
            };
            let key = DeviceKey::from_hex(&record.key).map_err(|e| bad(&e.to_string()))?;
            let salt = decode_hex(&record.password_salt).ok_or_else(|| bad("bad password_salt"))?;
            let password_hash = decode_hex(&record.password_sha256)
                .filter(|h| h.len() == 32)
                .ok_or_else(|| bad("bad password_sha256"))?;
            let entry = BookEntry {
                site: record.site.clone(),
                active: record.status == DeviceStatus::Active,
                key,
                key_version: record.key_version,
                salt,
                password_hash,
            };
            if entries.insert(record.id.clone(), entry).is_some() {
                return Err(bad("listed twice"));
            }
        }
        Ok(DeviceBook { entries })
    }

    /// Adds or replaces one entry (tests and benchmarks).
    pub fn insert(&mut self, device: &str, entry: BookEntry) {
        self.entries.insert(device.to_string(), entry);
    }

    /// The entry of `device`.
    pub fn get(&self, device: &str) -> Option<&BookEntry> {
        self.entries.get(device)
    }

    /// Every revoked device, with its site.
    pub fn revoked(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter(|(_, e)| !e.active)
            .map(|(id, e)| (id.as_str(), e.site.as_str()))
    }

    /// How many devices, and how many of them active.
    pub fn counts(&self) -> (usize, usize) {
        let active = self.entries.values().filter(|e| e.active).count();
        (self.entries.len(), active)
    }
}

/// The current book, shared by the broker's auth hook and the writer.
pub type Devices = Snapshot<DeviceBook>;
