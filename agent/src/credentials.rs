//! This device's secrets: the broker password and the key that signs its
//! event batches, read from the credentials file `hub device add --out`
//! (or `hub device rotate --out`) wrote. One file may hold a whole fleet;
//! the entry for this device id is taken.
//!
//! The secrets never reach a log: [`DeviceSecrets`]'s `Debug` hides them
//! and errors name the file and the device, never the values.

use protocol::{CredentialsFile, DeviceKey, KeyError};
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What the device proves itself with.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceSecrets {
    /// MQTT password (the username is the device id).
    pub password: String,
    /// Signs every event batch; the hub seals its acks with a key derived
    /// from it.
    pub key: DeviceKey,
    /// Which key that is (sealed frames name the version they were made with).
    pub key_version: u32,
}

impl fmt::Debug for DeviceSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSecrets(<secret>)")
    }
}

/// Why the credentials could not be used.
#[derive(Debug, Error)]
pub enum CredentialsError {
    /// The file could not be read.
    #[error("cannot read credentials file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a credentials file.
    #[error("bad credentials file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said (no values).
        message: String,
    },
    /// The file has no entry for this device.
    #[error("credentials file {path} has no entry for device {device:?}")]
    NoEntry {
        /// The file.
        path: PathBuf,
        /// The device id looked for.
        device: String,
    },
    /// The entry is for another site.
    #[error(
        "credentials file {path}: device {device:?} is registered for site {found:?}, not {site:?}"
    )]
    WrongSite {
        /// The file.
        path: PathBuf,
        /// The device.
        device: String,
        /// The site in the file.
        found: String,
        /// The configured site.
        site: String,
    },
    /// The key is not 64 hex digits.
    #[error("credentials file {path}, device {device:?}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The device.
        device: String,
        /// What is wrong with it.
        source: KeyError,
    },
    /// An empty password.
    #[error("credentials file {path}, device {device:?}: the password is empty")]
    EmptyPassword {
        /// The file.
        path: PathBuf,
        /// The device.
        device: String,
    },
}

/// Reads `path` and returns the secrets of `device` at `site`.
pub fn load_secrets(
    path: &Path,
    site: &str,
    device: &str,
) -> Result<DeviceSecrets, CredentialsError> {
    secrets_for(&read_file(path)?, path, site, device)
}

/// Reads a whole credentials file (a fleet's).
pub fn read_file(path: &Path) -> Result<CredentialsFile, CredentialsError> {
    let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_file(&text, path)
}

fn parse_file(text: &str, path: &Path) -> Result<CredentialsFile, CredentialsError> {
    serde_json::from_str(text).map_err(|e| CredentialsError::Parse {
        path: path.to_path_buf(),
        // serde_json's messages name the position and the field, not the value.
        message: e.to_string(),
    })
}

/// [`load_secrets`] on the file's text.
pub fn parse_secrets(
    text: &str,
    path: &Path,
    site: &str,
    device: &str,
) -> Result<DeviceSecrets, CredentialsError> {
    secrets_for(&parse_file(text, path)?, path, site, device)
}

/// The secrets of `device` at `site` in `file` (read from `path`).
pub fn secrets_for(
    file: &CredentialsFile,
    path: &Path,
    site: &str,
    device: &str,
) -> Result<DeviceSecrets, CredentialsError> {
    let entry = file
        .device(device)
        .ok_or_else(|| CredentialsError::NoEntry {
            path: path.to_path_buf(),
            device: device.to_string(),
        })?;
    if entry.site != site {
        return Err(CredentialsError::WrongSite {
            path: path.to_path_buf(),
            device: device.to_string(),
            found: entry.site.clone(),
            site: site.to_string(),
        });
    }
    let key = DeviceKey::from_hex(&entry.key).map_err(|source| CredentialsError::Key {
        path: path.to_path_buf(),
        device: device.to_string(),
        source,
    })?;
    if entry.password.is_empty() {
        return Err(CredentialsError::EmptyPassword {
            path: path.to_path_buf(),
            device: device.to_string(),
        });
    }
    Ok(DeviceSecrets {
        password: entry.password.clone(),
        key,
        key_version: entry.key_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(site: &str, key: &str, password: &str) -> String {
        format!(
            r#"{{"devices":[{{"device":"d1","site":"{site}","username":"d1","password":"{password}","key":"{key}","key_version":1}}]}}"#
        )
    }

    #[test]
    fn the_entry_of_this_device_is_taken_and_bad_ones_are_clear_errors() {
        let key = "ab".repeat(32);
        let p = Path::new("creds.json");
        let ok = parse_secrets(&file("s1", &key, "pw"), p, "s1", "d1").unwrap();
        assert_eq!(ok.key.to_hex(), key);
        assert!(!format!("{ok:?}").contains("pw"));
        let cases = [
            (file("s1", &key, "pw"), "d2", "no entry for device \"d2\""),
            (file("s2", &key, "pw"), "d1", "registered for site \"s2\""),
            (file("s1", "abc", "pw"), "d1", "64 hex digits"),
            (file("s1", &key, ""), "d1", "password is empty"),
            ("{".to_string(), "d1", "bad credentials file creds.json"),
        ];
        for (text, device, expected) in cases {
            let err = parse_secrets(&text, p, "s1", device).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(expected), "{msg:?} !~ {expected:?}");
            assert!(!msg.contains("abab"), "key leaked: {msg}");
        }
    }
}
