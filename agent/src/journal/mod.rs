//! The device's durable scan journal in sled.
//!
//! Why it exists: a scan confirmed to the picker must survive power loss
//! (promise 1) and must reach the hub exactly once in effect (promise 2).
//! So [`Journal::record`] numbers the movement, writes the entry and the next
//! sequence number in one atomic sled batch, and returns only after
//! `flush()` and an `fdatasync` of sled's files and of the seal
//! ([`storeseal::Keeper::persist`]; sled's flush alone does not survive a
//! power cut); entries leave only through [`Journal::ack`], driven by the hub's
//! cumulative acknowledgement.
//!
//! Keeping metadata and entries in one tree ([`entry`] has the layout) lets
//! a single `Batch` update both atomically without a transaction. A journal
//! in its own directory is sealed ([`storeseal`]): it is checked at every
//! open ([`integrity`]) and refused with a clear error when damaged. When a
//! write fails (a full disk: sled then fails every later write too), the
//! scan is refused and the next record reopens the database, so the device
//! recovers by itself once space returns.

mod entry;
mod integrity;

pub use entry::STORAGE_VERSION;

use crate::draft::MovementDraft;
use entry::{decode_entry, encode_entry, encode_meta, entry_key, key_seq};
use entry::{META_ACKED, META_NEXT_SEQ};
use protocol::{validate::check_id, Movement, ValidationError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use thiserror::Error;
use tracing::{info, warn};

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
}

/// The durable journal of one device. Cheap to clone: clones share one
/// journal.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

struct Inner {
    /// The open database; `None` between a failed write and a successful
    /// reopen.
    live: RwLock<Option<Live>>,
    /// The directory, for journals that own theirs (reopen needs it).
    dir: Option<PathBuf>,
    /// A write failed: sled latches the error, so reopen before the next.
    broken: AtomicBool,
    /// Serialises records so sequence order is journal order.
    record_lock: Mutex<()>,
    /// Serialises acks so the watermark only moves forward.
    ack_lock: Mutex<()>,
    /// Highest durably recorded sequence number (0: none yet).
    last_seq: AtomicU64,
    /// Highest sequence number the hub acknowledged (0: none yet).
    acked: AtomicU64,
}

/// One open database. Field order is drop order: the seal keeper must go
/// after every sled handle.
struct Live {
    tree: sled::Tree,
    _db: Option<sled::Db>,
    keeper: Option<storeseal::Keeper>,
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
    /// Opens (or creates) the journal of the one device whose data lives in
    /// `dir`, after checking that it is undamaged (see [`integrity`]).
    pub fn open(dir: &Path) -> Result<Journal, JournalError> {
        let (opened, tree, checked) = integrity::open_dir(dir)?;
        let live = Live {
            tree,
            _db: Some(opened.db),
            keeper: Some(opened.keeper),
        };
        Ok(Journal::from_live(live, Some(dir.to_path_buf()), checked))
    }

    /// Opens (or creates) the journal of `device_id` inside a shared sled
    /// database, so many simulated devices can live in one process. Its
    /// content is checked; there is no seal and no reopen.
    pub fn open_in(db: &sled::Db, device_id: &str) -> Result<Journal, JournalError> {
        check_id("device", device_id)?;
        let tree = db.open_tree(format!("journal/{device_id}"))?;
        let checked = integrity::check_tree(&tree, 0)?;
        let live = Live {
            tree,
            _db: None,
            keeper: None,
        };
        Ok(Journal::from_live(live, None, checked))
    }

    fn from_live(live: Live, dir: Option<PathBuf>, checked: integrity::Checked) -> Journal {
        Journal {
            inner: Arc::new(Inner {
                live: RwLock::new(Some(live)),
                dir,
                broken: AtomicBool::new(false),
                record_lock: Mutex::new(()),
                ack_lock: Mutex::new(()),
                last_seq: AtomicU64::new(checked.last_seq),
                acked: AtomicU64::new(checked.acked),
            }),
        }
    }

    /// Numbers, validates and durably journals a movement; returns its
    /// sequence number only after the journal is flushed and synced to disk
    /// (power-cut safe for a journal in its own directory). An
    /// invalid draft is refused before anything is written. After a failed
    /// write the database is reopened (and rechecked) first.
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
        if self.inner.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        let mut batch = sled::Batch::default();
        batch.insert(&entry_key(seq), value);
        batch.insert(META_NEXT_SEQ, encode_meta(next));
        let written = live
            .tree
            .apply_batch(batch)
            .and_then(|()| live.tree.flush());
        if let Err(e) = written {
            self.mark_broken(live);
            return Err(e.into());
        }
        // sled's flush is not durable against a power cut (see
        // storeseal::durable): the scan is confirmed only once its files
        // and the seal's mark are synced. A failed sync is a failed scan.
        if let Some(keeper) = &live.keeper {
            if let Err(e) = keeper.persist(seq) {
                self.mark_broken(live);
                return Err(e.into());
            }
        }
        // Published only now: readers (the publisher) must never see an
        // entry that a power cut could still take back, or its number could
        // be handed out again after a restart.
        self.inner.last_seq.store(seq, Ordering::Release);
        Ok(seq)
    }

    fn live(&self) -> RwLockReadGuard<'_, Option<Live>> {
        self.inner
            .live
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn mark_broken(&self, live: &Live) {
        self.inner.broken.store(true, Ordering::Release);
        if let Some(keeper) = &live.keeper {
            keeper.forgo_clean_close();
        }
    }

    /// Drops the failed database and opens it again (the record lock is
    /// held). The entry of the refused scan, if it reached the disk, is
    /// removed: the picker was told it failed.
    fn reopen(&self) -> Result<(), JournalError> {
        let Some(dir) = &self.inner.dir else {
            return Err(JournalError::CorruptMeta(
                "a shared-database journal cannot be reopened".into(),
            ));
        };
        let mut live = self
            .inner
            .live
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // sled's handles must all be gone before it can be opened again.
        drop(live.take());
        storeseal::wait_released(dir, std::time::Duration::from_secs(2));
        let (opened, tree, on_disk) = integrity::open_dir(dir)?;
        integrity::settle(&tree, on_disk, self.last_seq(), self.acked())?;
        // The refused entries must not come back after a power cut either.
        opened.keeper.sync_files()?;
        *live = Some(Live {
            tree,
            _db: Some(opened.db),
            keeper: Some(opened.keeper),
        });
        self.inner.broken.store(false, Ordering::Release);
        info!(dir = %dir.display(), "journal reopened after a storage error");
        Ok(())
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
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        let range = live.tree.range(entry_key(start)..=entry_key(end));
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
        if out.len() < limit.min(span) {
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
        batch.insert(META_ACKED, encode_meta(through));
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        if let Err(e) = live.tree.apply_batch(batch) {
            self.mark_broken(live);
            return Err(e.into());
        }
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
    /// The seal is closed (files listed in the manifest) when the last
    /// clone of the journal is dropped.
    pub fn flush(&self) -> Result<(), JournalError> {
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        if let Err(e) = live.tree.flush() {
            self.mark_broken(live);
            return Err(e.into());
        }
        if let Some(keeper) = &live.keeper {
            if let Err(e) = keeper.sync_files() {
                self.mark_broken(live);
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Size in bytes of the stored entry `draft` would become under `seq`.
    pub fn entry_len(draft: &MovementDraft, seq: u64) -> Result<usize, JournalError> {
        Ok(encode_entry(&draft.clone().into_movement(seq))?.len())
    }

    #[cfg(test)]
    fn tree(&self) -> sled::Tree {
        let guard = self.live();
        match guard.as_ref() {
            Some(live) => live.tree.clone(),
            None => panic!("journal closed"),
        }
    }
}

fn lock(mutex: &Mutex<()>) -> MutexGuard<'_, ()> {
    // The guarded data is `()`: a panic elsewhere cannot leave it torn.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
