//! Keeps an external Mosquitto's password and ACL files in step with the
//! device registry: written at start and after every change of the
//! registry (`hub device add`, `revoke`, `rotate`), then the configured
//! reload command makes the broker read them. Mosquitto drops a revoked
//! device's open connection when it reloads.

use crate::devices::mosquitto::{self, AclError, HubLogin};
use crate::devices::{mosquitto_dir, Registry, RegistryError};
use std::path::PathBuf;
use std::process::Command;
use tracing::{info, warn};

/// Why the files could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum AclSyncError {
    /// The registry could not be read.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The files could not be made (a device without a Mosquitto hash).
    #[error(transparent)]
    Acl(#[from] AclError),
    /// The files could not be written.
    #[error("cannot write the Mosquitto files in {dir}: {source}")]
    Write {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The hub's part of the broker's files, and how to make it reload them.
#[derive(Clone)]
pub struct AclSync {
    /// The shared directory.
    pub dir: PathBuf,
    /// The command run after writing (empty: none).
    pub reload: Vec<String>,
    /// This hub's site.
    pub site: String,
    /// The hub's username.
    pub username: String,
    /// The hub's password (hashed into the file, never written in clear).
    pub password: String,
}

impl std::fmt::Debug for AclSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AclSync")
            .field("dir", &self.dir)
            .field("reload", &self.reload)
            .field("site", &self.site)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl AclSync {
    /// Writes the files for the registry now on disk; returns the sites
    /// the joined files hold. Does not reload the broker.
    pub fn write(&self, registry: &Registry) -> Result<Vec<String>, AclSyncError> {
        let file = registry.load()?;
        let login = HubLogin {
            site: &self.site,
            username: &self.username,
            password: &self.password,
        };
        let files = mosquitto::files(&file, &login)?;
        let written = mosquitto_dir::write(&self.dir, &self.site, &files).map_err(|source| {
            AclSyncError::Write {
                dir: self.dir.clone(),
                source,
            }
        })?;
        info!(devices = files.devices, sites = written.sites.len(), dir = %written.dir.display(), "Mosquitto files written");
        Ok(written.sites)
    }

    /// [`Self::write`], then [`Self::reload`]; failures are logged.
    pub fn write_and_reload(&self, registry: &Registry) {
        match self.write(registry) {
            Ok(_) => self.reload(),
            Err(e) => warn!(error = %e, "the Mosquitto files were not updated"),
        }
    }

    /// Runs the reload command in a thread of its own (the caller never
    /// waits on the broker); failures are logged.
    pub fn reload(&self) {
        let Some((program, args)) = self.reload.split_first() else {
            return;
        };
        let mut command = Command::new(program);
        command.args(args);
        let spawned = std::thread::Builder::new()
            .name("broker-reload".into())
            .spawn(move || match command.status() {
                Ok(status) if status.success() => info!("broker reload command ran"),
                Ok(status) => warn!(%status, "the broker reload command failed"),
                Err(e) => warn!(error = %e, "cannot run the broker reload command"),
            });
        if let Err(e) = spawned {
            warn!(error = %e, "cannot start the broker reload command");
        }
    }
}
