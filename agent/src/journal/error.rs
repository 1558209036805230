//! What can go wrong with the journal, each case named so the picker's
//! error line and the logs say what happened and what to do.

use protocol::ValidationError;
use std::path::PathBuf;
use thiserror::Error;

/// Why a journal operation failed.
#[derive(Debug, Error)]
pub enum JournalError {
    /// sled failed (I/O error, corrupt database file ...).
    #[error("journal storage error: {0}")]
    Storage(#[from] sled::Error),
    /// The journal's files are damaged, in another format, or unreadable.
    #[error("journal files: {0}")]
    Files(#[from] storeseal::SealError),
    /// The movement breaks a protocol rule; nothing was written.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    /// A stored entry cannot be read back.
    #[error("journal entry {seq} is corrupt: {reason}")]
    CorruptEntry {
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The journal's bookkeeping is inconsistent.
    #[error("journal metadata is corrupt: {0}")]
    CorruptMeta(String),
    /// Entries the device confirmed are gone (a truncated or damaged file
    /// that sled opened as an older journal).
    #[error(
        "journal lost its tail: it ends at seq {last_seq}, but seq {confirmed} was \
         confirmed (recorded in wms-seal); the data file is truncated or damaged"
    )]
    LostTail {
        /// Highest seq the journal holds.
        last_seq: u64,
        /// Highest seq the seal says was confirmed.
        confirmed: u64,
    },
    /// A movement could not be encoded for storage.
    #[error("cannot encode movement: {0}")]
    Encode(String),
    /// Every u64 sequence number has been used.
    #[error("sequence numbers exhausted")]
    SequenceExhausted,
    /// The database was closed after a storage error and could not be
    /// reopened yet; the next record tries again.
    #[error("journal closed after a storage error; the next scan retries")]
    Closed,
    /// The journal directory was deleted or replaced while the journal was
    /// open: the scan went to files no restart will see, so it is refused.
    #[error(
        "the journal directory {dir} was deleted or replaced while the agent ran: this scan \
         is not saved; scan it again (the next scan opens a new journal with a new epoch)"
    )]
    Replaced {
        /// The directory.
        dir: PathBuf,
    },
    /// A read or trim for one epoch found the journal in another (it was
    /// replaced in between); nothing was read or trimmed.
    #[error("journal epoch is now {current}, not {expected}")]
    EpochChanged {
        /// The epoch asked for.
        expected: String,
        /// The journal's epoch.
        current: String,
    },
    /// The operating system's random source failed (a new journal's epoch).
    #[error("cannot draw a journal epoch: {0}")]
    Random(String),
}
