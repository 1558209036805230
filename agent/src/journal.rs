//! The device's durable scan journal in sled.
//!
//! Why it exists: a scan confirmed to the picker must survive power loss
//! (promise 1) and must reach the hub exactly once in effect (promise 2).
//! So [`Journal::record`] numbers the movement, writes the entry and the next
//! sequence number in one atomic sled batch, and returns only after
//! `flush()`; entries leave only through [`Journal::ack`], driven by the hub's
//! cumulative acknowledgement.
//!
//! Layout of the device's one tree: key `0x00 ++ name` holds metadata
//! (`next_seq`, `acked`, big-endian u64), key `0x01 ++ seq (u64 BE)` holds an
//! entry: one storage-version byte, then the postcard-encoded
//! [`protocol::Movement`]. Keeping metadata and entries in one tree lets a
//! single `Batch` update both atomically without a transaction.

use crate::draft::MovementDraft;
use protocol::{validate::check_id, Movement, ValidationError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;
use tracing::warn;

/// Version byte in front of every stored entry.
pub const STORAGE_VERSION: u8 = 1;

const META_NEXT_SEQ: &[u8] = b"\x00next_seq";
const META_ACKED: &[u8] = b"\x00acked";
const ENTRY_PREFIX: u8 = 0x01;

/// Why a journal operation failed.
#[derive(Debug, Error)]
pub enum JournalError {
    /// The journal directory could not be created.
    #[error("cannot create journal directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// sled failed (I/O error, corrupt database file ...).
    #[error("journal storage error: {0}")]
    Storage(#[from] sled::Error),
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
    /// A movement could not be encoded for storage.
    #[error("cannot encode movement: {0}")]
    Encode(String),
    /// Every u64 sequence number has been used.
    #[error("sequence numbers exhausted")]
    SequenceExhausted,
}

/// The durable journal of one device. Cheap to clone: clones share one
/// journal.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    tree: sled::Tree,
    /// Serialises records so sequence order is journal order.
    record_lock: Mutex<()>,
    /// Serialises acks so the watermark only moves forward.
    ack_lock: Mutex<()>,
    /// Highest durably recorded sequence number (0: none yet).
    last_seq: AtomicU64,
    /// Highest sequence number the hub acknowledged (0: none yet).
    acked: AtomicU64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("last_seq", &self.last_seq())
            .field("acked", &self.acked())
            .finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal of the one device whose data lives in `dir`.
    pub fn open(dir: &Path) -> Result<Journal, JournalError> {
        std::fs::create_dir_all(dir).map_err(|source| JournalError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        // Every record flushes explicitly, so sled's periodic background
        // flush (a thread and an fsync every 500 ms) would only add noise;
        // a small cache keeps a handheld's memory low.
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(None)
            .cache_capacity(8 << 20)
            .open()?;
        Journal::from_tree(db.open_tree("journal")?)
    }

    /// Opens (or creates) the journal of `device_id` inside a shared sled
    /// database, so many simulated devices can live in one process.
    pub fn open_in(db: &sled::Db, device_id: &str) -> Result<Journal, JournalError> {
        check_id("device", device_id)?;
        Journal::from_tree(db.open_tree(format!("journal/{device_id}"))?)
    }

    fn from_tree(tree: sled::Tree) -> Result<Journal, JournalError> {
        let next_seq = read_meta(&tree, META_NEXT_SEQ)?.unwrap_or(1);
        let acked = read_meta(&tree, META_ACKED)?.unwrap_or(0);
        let last_seq = next_seq
            .checked_sub(1)
            .ok_or_else(|| JournalError::CorruptMeta("next_seq is 0".into()))?;
        if acked > last_seq {
            return Err(JournalError::CorruptMeta(format!(
                "acked {acked} is beyond the last sequence number {last_seq}"
            )));
        }
        if let Some(highest) = highest_entry(&tree)? {
            // The entry and next_seq are written in one batch, so no entry
            // can lie beyond next_seq - 1.
            if highest > last_seq {
                return Err(JournalError::CorruptMeta(format!(
                    "entry {highest} is beyond next_seq {next_seq}"
                )));
            }
        }
        Ok(Journal {
            inner: Arc::new(Inner {
                tree,
                record_lock: Mutex::new(()),
                ack_lock: Mutex::new(()),
                last_seq: AtomicU64::new(last_seq),
                acked: AtomicU64::new(acked),
            }),
        })
    }

    /// Numbers, validates and durably journals a movement; returns its
    /// sequence number only after the journal is flushed to disk. An
    /// invalid draft is refused before anything is written.
    ///
    /// Blocks for the flush: call it from a blocking context.
    pub fn record(&self, draft: MovementDraft) -> Result<u64, JournalError> {
        let _serial = lock(&self.inner.record_lock);
        let seq = self
            .last_seq()
            .checked_add(1)
            .ok_or(JournalError::SequenceExhausted)?;
        let next = seq.checked_add(1).ok_or(JournalError::SequenceExhausted)?;
        let movement = draft.into_movement(seq);
        movement.validate()?;
        let value = encode_entry(&movement)?;
        let mut batch = sled::Batch::default();
        batch.insert(&entry_key(seq), value);
        batch.insert(META_NEXT_SEQ, &next.to_be_bytes());
        self.inner.tree.apply_batch(batch)?;
        self.inner.tree.flush()?;
        // Published only now: readers (the publisher) must never see an
        // entry that a power cut could still take back, or its number could
        // be handed out again after a restart.
        self.inner.last_seq.store(seq, Ordering::Release);
        Ok(seq)
    }

    /// Up to `limit` unacknowledged movements with a sequence number above
    /// `after`, in sequence order.
    pub fn unacked(&self, after: u64, limit: usize) -> Result<Vec<Movement>, JournalError> {
        let start = after.max(self.acked()).saturating_add(1);
        let end = self.last_seq();
        if limit == 0 || start > end {
            return Ok(Vec::new());
        }
        let span = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
        let mut out = Vec::with_capacity(limit.min(span));
        let range = self.inner.tree.range(entry_key(start)..=entry_key(end));
        for (expected, item) in (start..).zip(range.take(limit)) {
            let (key, value) = item?;
            let seq = key_seq(&key).ok_or_else(|| JournalError::CorruptEntry {
                seq: expected,
                reason: format!("malformed key of {} bytes", key.len()),
            })?;
            if seq != expected {
                return Err(JournalError::CorruptEntry {
                    seq: expected,
                    reason: format!("missing (next stored entry is {seq})"),
                });
            }
            out.push(decode_entry(seq, &value)?);
        }
        let wanted = limit.min(span);
        if out.len() < wanted {
            let seq = start + out.len() as u64;
            return Err(JournalError::CorruptEntry {
                seq,
                reason: "missing".into(),
            });
        }
        Ok(out)
    }

    /// Drops every entry up to and including `through` and persists the
    /// acknowledged watermark. The watermark only moves forward: a lower ack
    /// is ignored, and an ack beyond the last recorded entry is clamped to
    /// it. Returns the watermark after the call.
    ///
    /// Not flushed: losing an ack to a power cut only causes a resend, which
    /// the hub ignores as a duplicate.
    pub fn ack(&self, through: u64) -> Result<u64, JournalError> {
        let _serial = lock(&self.inner.ack_lock);
        let acked = self.acked();
        let last = self.last_seq();
        if through > last {
            warn!(through, last, "ack beyond the last recorded entry; clamped");
        }
        let through = through.min(last);
        if through <= acked {
            return Ok(acked);
        }
        let mut batch = sled::Batch::default();
        for seq in acked + 1..=through {
            batch.remove(&entry_key(seq));
        }
        batch.insert(META_ACKED, &through.to_be_bytes());
        self.inner.tree.apply_batch(batch)?;
        self.inner.acked.store(through, Ordering::Release);
        Ok(through)
    }

    /// Highest sequence number the hub acknowledged (0: none yet).
    pub fn acked(&self) -> u64 {
        self.inner.acked.load(Ordering::Acquire)
    }

    /// Highest sequence number durably recorded (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq.load(Ordering::Acquire)
    }

    /// Movements recorded but not yet acknowledged.
    pub fn backlog(&self) -> u64 {
        self.last_seq().saturating_sub(self.acked())
    }

    /// Flushes everything (acks included) to disk; for a clean shutdown.
    pub fn flush(&self) -> Result<(), JournalError> {
        self.inner.tree.flush()?;
        Ok(())
    }

    /// Size in bytes of the stored entry `draft` would become under `seq`.
    pub fn entry_len(draft: &MovementDraft, seq: u64) -> Result<usize, JournalError> {
        Ok(encode_entry(&draft.clone().into_movement(seq))?.len())
    }

    #[cfg(test)]
    fn tree(&self) -> &sled::Tree {
        &self.inner.tree
    }
}

fn lock(mutex: &Mutex<()>) -> MutexGuard<'_, ()> {
    // The guarded data is `()`: a panic elsewhere cannot leave it torn.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn entry_key(seq: u64) -> [u8; 9] {
    let mut key = [ENTRY_PREFIX; 9];
    key[1..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn key_seq(key: &[u8]) -> Option<u64> {
    match key {
        [ENTRY_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

fn encode_entry(movement: &Movement) -> Result<Vec<u8>, JournalError> {
    let mut value = vec![STORAGE_VERSION];
    let body = postcard::to_allocvec(movement).map_err(|e| JournalError::Encode(e.to_string()))?;
    value.extend_from_slice(&body);
    Ok(value)
}

fn decode_entry(seq: u64, value: &[u8]) -> Result<Movement, JournalError> {
    let corrupt = |reason: String| JournalError::CorruptEntry { seq, reason };
    let (&version, body) = value
        .split_first()
        .ok_or_else(|| corrupt("empty value".into()))?;
    if version != STORAGE_VERSION {
        return Err(corrupt(format!(
            "unknown storage version {version} (expected {STORAGE_VERSION})"
        )));
    }
    let movement: Movement =
        postcard::from_bytes(body).map_err(|e| corrupt(format!("undecodable: {e}")))?;
    if movement.seq != seq {
        return Err(corrupt(format!(
            "holds seq {} under key {seq}",
            movement.seq
        )));
    }
    Ok(movement)
}

fn read_meta(tree: &sled::Tree, key: &'static [u8]) -> Result<Option<u64>, JournalError> {
    let Some(value) = tree.get(key)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value.as_ref().try_into().map_err(|_| {
        JournalError::CorruptMeta(format!(
            "{} is {} bytes, expected 8",
            String::from_utf8_lossy(&key[1..]),
            value.len()
        ))
    })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

fn highest_entry(tree: &sled::Tree) -> Result<Option<u64>, JournalError> {
    match tree.range(entry_key(0)..).next_back() {
        Some(item) => {
            let (key, _) = item?;
            key_seq(&key)
                .map(Some)
                .ok_or_else(|| JournalError::CorruptMeta("malformed entry key".into()))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
