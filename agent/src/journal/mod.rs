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
//!
//! Every journal has an [`epoch`] (drawn when it is created, kept for its
//! life); sequence numbers start at 1 in each. If the directory is deleted
//! or replaced while the agent runs, sled would go on writing to unlinked
//! files that no restart will see: a record checks that its files are still
//! in place before it confirms, refuses the scan when they are not, and the
//! next record opens whatever journal is now at the path, a new one with a
//! new epoch if the directory is empty ([`reopen`]).
//!
//! The device's work queue lives in a second tree of the same database
//! (`tasks_tree`; its content is `crate::tasks`' business), so it shares
//! the seal, the sync path, the reopen and the fate of a replaced
//! directory with the journal.

mod entry;
mod epoch;
mod error;
mod integrity;
mod reopen;
mod tasks_tree;

pub use entry::STORAGE_VERSION;
pub use epoch::format_epoch;
pub use error::JournalError;

use crate::draft::MovementDraft;
use entry::{decode_entry, encode_entry, encode_meta, entry_key, key_seq};
use entry::{META_ACKED, META_NEXT_SEQ};
use protocol::{validate::check_id, Movement};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use tracing::warn;

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
    /// The journal's epoch; changes only when [`reopen`] finds another
    /// journal at the path (under the `live` write lock).
    epoch: AtomicU64,
}

/// One open database. Field order is drop order: the seal keeper must go
/// after every sled handle.
struct Live {
    tree: sled::Tree,
    /// The work queue's tree, in the same database (see [`tasks_tree`]).
    tasks: sled::Tree,
    _db: Option<sled::Db>,
    keeper: Option<storeseal::Keeper>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("last_seq", &self.last_seq())
            .field("acked", &self.acked())
            .field("epoch", &format_epoch(self.epoch()))
            .finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal of the one device whose data lives in
    /// `dir`, after checking that it is undamaged (see [`integrity`]).
    pub fn open(dir: &Path) -> Result<Journal, JournalError> {
        let found = integrity::open_dir(dir)?;
        let live = Live {
            tree: found.tree,
            tasks: found.tasks,
            _db: Some(found.opened.db),
            keeper: Some(found.opened.keeper),
        };
        Ok(Journal::from_live(
            live,
            Some(dir.to_path_buf()),
            found.checked,
        ))
    }

    /// Opens (or creates) the journal of `device_id` inside a shared sled
    /// database, so many simulated devices can live in one process. Its
    /// content is checked; there is no seal and no reopen.
    pub fn open_in(db: &sled::Db, device_id: &str) -> Result<Journal, JournalError> {
        check_id("device", device_id)?;
        let tree = db.open_tree(format!("journal/{device_id}"))?;
        let tasks = db.open_tree(format!("{}/{device_id}", tasks_tree::TREE))?;
        let mut checked = integrity::check_tree(&tree, 0)?;
        epoch::establish(&tree, &mut checked, None)?;
        let live = Live {
            tree,
            tasks,
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
                epoch: AtomicU64::new(checked.epoch),
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
        // Reopened first: the journal found there may be another one (its
        // directory was replaced), numbering from its own last seq.
        if self.inner.broken.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let seq = self
            .last_seq()
            .checked_add(1)
            .ok_or(JournalError::SequenceExhausted)?;
        let next = seq.checked_add(1).ok_or(JournalError::SequenceExhausted)?;
        let movement = draft.into_movement(seq);
        movement.validate()?;
        let value = encode_entry(&movement)?;
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
            let persisted = keeper.persist(seq);
            // Synced into files that are no longer at the path is not
            // durable: a restart opens whatever is there now.
            if !keeper.files_in_place() {
                self.mark_broken(live);
                return Err(JournalError::Replaced {
                    dir: keeper.dir().to_path_buf(),
                });
            }
            if let Err(e) = persisted {
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

    /// Up to `limit` unacknowledged movements of `epoch` with a sequence
    /// number above `after`, in sequence order; [`JournalError::EpochChanged`]
    /// if the journal is in another epoch now.
    pub fn unacked(
        &self,
        epoch: u64,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Movement>, JournalError> {
        // Under the read guard, so a replacement cannot slip in between.
        let guard = self.live();
        self.check_epoch(epoch)?;
        let start = after.max(self.acked()).saturating_add(1);
        let end = self.last_seq();
        if limit == 0 || start > end {
            return Ok(Vec::new());
        }
        let span = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
        let mut out = Vec::with_capacity(limit.min(span));
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

    /// Drops every entry of `epoch` up to and including `through` and
    /// persists the acknowledged watermark. The watermark only moves
    /// forward: a lower ack is ignored, and an ack beyond the last recorded
    /// entry is clamped to it. An ack for another epoch trims nothing
    /// ([`JournalError::EpochChanged`]). Returns the watermark after the call.
    ///
    /// Not flushed: losing an ack to a power cut only causes a resend, which
    /// the hub ignores as a duplicate.
    pub fn ack(&self, epoch: u64, through: u64) -> Result<u64, JournalError> {
        let _serial = lock(&self.inner.ack_lock);
        let guard = self.live();
        self.check_epoch(epoch)?;
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
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        if let Err(e) = live.tree.apply_batch(batch) {
            self.mark_broken(live);
            return Err(e.into());
        }
        self.inner.acked.store(through, Ordering::Release);
        Ok(through)
    }

    /// The journal's epoch (never 0). It changes only if the directory was
    /// replaced while the agent ran (see [`JournalError::Replaced`]).
    pub fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    fn check_epoch(&self, expected: u64) -> Result<(), JournalError> {
        let current = self.epoch();
        if current == expected {
            return Ok(());
        }
        Err(JournalError::EpochChanged {
            expected: format_epoch(expected),
            current: format_epoch(current),
        })
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
