//! Data at rest for the two sled stores (the agent's journal, the hub's
//! store): damage is found at start with a clear error, never served.
//!
//! Why it exists: sled 0.34 does not reliably notice damage. A flipped byte
//! in its log makes it panic on open, or quietly drop every write after the
//! flip; a truncated data file opens as an older (even empty) database; a
//! deleted `conf` is silently recreated. So each store keeps its own
//! evidence next to sled's files, and checks it before and after sled opens:
//!
//! - [`frame`]: every stored value carries a format byte and a CRC32 of
//!   its body, checked on every read ([`unframe`]).
//! - [`seal`]: the file `wms-seal` is the format marker (magic, format
//!   version, kind of store) and records the *mark* (the journal's last
//!   confirmed seq, the hub's commit count: sled must hold at least that
//!   much), the CRC of sled's `conf`, and whether the last shutdown was
//!   clean. Two slots, each with its own CRC, so a torn write of one never
//!   loses the seal.
//! - [`manifest`]: at a clean shutdown, `wms-manifest` lists every sled file
//!   with its length and CRC32; the next start checks them *before* sled
//!   opens, so damage done while the store was shut is refused with the
//!   file named and without sled touching (or "repairing") anything.
//! - [`durable`]: sled's `flush()` is not durable against a power cut on
//!   Linux (it ends in `sync_file_range`); after every flush the keeper
//!   `fdatasync`s sled's files and directories, then the seal.
//! - [`open`]: the sequence of checks, and sled's open under
//!   `catch_unwind`, turning its panics into [`SealError::SledPanicked`].
//!
//! After a crash (no clean shutdown) the manifest cannot be checked; sled's
//! own recovery then runs first, and the stores' content checks (every
//! value's CRC, contiguity, the mark) catch what it silently dropped.

#[cfg(feature = "damage-kit")]
pub mod damage;
pub mod durable;
pub mod frame;
pub mod manifest;
pub mod open;
pub mod seal;

pub use frame::{frame, unframe, FrameError};
pub use open::{open, wait_released, without_panic, Keeper, Opened};
pub use seal::{Kind, Seal, FORMAT_VERSION};

use std::path::PathBuf;
use thiserror::Error;

/// Why a store directory was refused.
#[derive(Debug, Error)]
pub enum SealError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// sled's files are there but our format marker is not.
    #[error(
        "{dir} holds sled data without the format marker wms-seal: it was written before \
         format version {FORMAT_VERSION} (or the marker was deleted); refusing to open it"
    )]
    NoFormatMarker {
        /// The directory.
        dir: PathBuf,
    },
    /// The marker names another format version.
    #[error("{path}: format version {found}, this build reads format version {FORMAT_VERSION}")]
    FormatVersion {
        /// The seal file.
        path: PathBuf,
        /// The version found.
        found: u16,
    },
    /// The seal itself is damaged or belongs to another kind of store.
    #[error("{path}: damaged seal: {problem}")]
    SealDamaged {
        /// The seal file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A sled file differs from what the seal or manifest recorded.
    #[error("{path}: damaged: {problem}")]
    FileDamaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// sled refused to open the directory.
    #[error("{dir}: sled cannot open it: {source}")]
    Sled {
        /// The directory.
        dir: PathBuf,
        /// sled's error.
        source: sled::Error,
    },
    /// sled panicked while opening (it does on some damaged logs).
    #[error("{dir}: sled panicked while opening it (damaged data file?): {message}")]
    SledPanicked {
        /// The directory.
        dir: PathBuf,
        /// The panic message.
        message: String,
    },
}

pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SealError + '_ {
    move |source| SealError::Io {
        path: path.to_path_buf(),
        source,
    }
}
