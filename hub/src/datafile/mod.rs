//! Files in the data directory that `hub` subcommands change while the hub
//! may be running: the device registry (`devices.json`) and the API tokens
//! (`tokens.json`). Not in sled, because sled locks its directory and these
//! commands must work whether or not the hub holds it.
//!
//! One mechanism serves every such file, so the rules that make it safe
//! are written once:
//! * [`locked`]: a JSON file changed only by read-modify-write under an
//!   exclusive `flock`, landing by rename of a fsynced 0600 temporary file
//!   followed by a directory fsync ([`write_private`], also used for the
//!   secret files the hub hands out).
//! * [`watch`]: the running hub's poll of such a file, which reloads it
//!   when its identity changes and keeps the last good version when a new
//!   one does not parse.
//! * [`Snapshot`]: the immutable, parsed view the hub checks against,
//!   swapped whole on every reload.

pub mod locked;
pub mod watch;

pub use locked::{write_private, DataFile, DataFileError, LockedJson};
pub use watch::{watch, POLL};

use std::sync::{Arc, RwLock};

/// The current parsed version of a data file, shared by its readers.
/// Readers clone an `Arc` under a read lock held for no longer than that,
/// never across an await.
#[derive(Debug, Default)]
pub struct Snapshot<T> {
    current: Arc<RwLock<Arc<T>>>,
}

// Derived `Clone` would ask `T: Clone`; only the `Arc` is cloned.
impl<T> Clone for Snapshot<T> {
    fn clone(&self) -> Self {
        Snapshot {
            current: self.current.clone(),
        }
    }
}

impl<T> Snapshot<T> {
    /// Shares `value`.
    pub fn new(value: T) -> Snapshot<T> {
        Snapshot {
            current: Arc::new(RwLock::new(Arc::new(value))),
        }
    }

    /// The value as it is now.
    pub fn current(&self) -> Arc<T> {
        // A poisoned lock still holds a whole value: swaps never panic halfway.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the value.
    pub fn replace(&self, value: T) {
        let value = Arc::new(value);
        match self.current.write() {
            Ok(mut guard) => *guard = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}
