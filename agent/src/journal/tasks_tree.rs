//! The work queue's sled tree, kept in the journal's own database.
//!
//! Why here and not in a database of its own: the queue must be as durable
//! as a scan (a device takes a task list only once it is synced, WIRE.md
//! §3.10) and follow the journal through everything that happens to its
//! directory: the seal and manifest checks at open, the reopen after a
//! storage error, a directory replaced under the running agent (the new
//! journal's queue is empty, version 0, and the hub re-sends). One
//! database gives all of that with one seal and one sync path, and one
//! open file lock. What the tree holds and how it is checked is
//! `crate::tasks`' business; the journal only opens it and writes it
//! durably.

use super::{lock, Journal, JournalError};
use std::sync::atomic::Ordering;

/// The tree's name (a shared database adds `/{device}`).
pub(crate) const TREE: &str = "tasks";

impl Journal {
    /// Runs `read` on the work queue's tree.
    pub(crate) fn read_tasks<T>(
        &self,
        read: impl FnOnce(&sled::Tree) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        read(&live.tasks)
    }

    /// Writes `batch` to the work queue's tree in one atomic step, and
    /// returns only once it is flushed and synced to disk, as a record is.
    /// After a storage error the database is reopened first (under the
    /// record lock, as a record would), so the queue recovers by itself
    /// even when no scan comes.
    pub(crate) fn write_tasks(&self, batch: sled::Batch) -> Result<(), JournalError> {
        if self.inner.broken.load(Ordering::Acquire) {
            let _serial = lock(&self.inner.record_lock);
            if self.inner.broken.load(Ordering::Acquire) {
                self.reopen()?;
            }
        }
        let guard = self.live();
        let live = guard.as_ref().ok_or(JournalError::Closed)?;
        let written = live
            .tasks
            .apply_batch(batch)
            .and_then(|()| live.tasks.flush());
        if let Err(e) = written {
            self.mark_broken(live);
            return Err(e.into());
        }
        if let Some(keeper) = &live.keeper {
            let synced = keeper.sync_files();
            if !keeper.files_in_place() {
                self.mark_broken(live);
                return Err(JournalError::Replaced {
                    dir: keeper.dir().to_path_buf(),
                });
            }
            if let Err(e) = synced {
                self.mark_broken(live);
                return Err(e.into());
            }
        }
        Ok(())
    }
}
