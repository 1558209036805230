//! Reopening the journal after a failed write, and what happens when the
//! journal found at the path is no longer the one this process had open.
//!
//! Why two cases: after a storage error (a full disk) the files are the
//! same and the disk is made to agree with what this process answered
//! ([`integrity::settle`]). After the directory was deleted or replaced
//! while the agent ran, the files at the path belong to another journal (a
//! new, empty one with a new epoch if the directory is gone): its own
//! counters and epoch are taken as they are, and the old journal's
//! unacknowledged scans, deleted with its directory, are gone with it.

use super::{integrity, Journal, JournalError, Live};
use std::sync::atomic::Ordering;
use tracing::{info, warn};

impl Journal {
    /// Drops the failed database and opens it again (the record lock is
    /// held). The entry of the refused scan, if it reached the disk, is
    /// removed: the picker was told it failed.
    pub(super) fn reopen(&self) -> Result<(), JournalError> {
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
        let replaced = live
            .as_ref()
            .and_then(|l| l.keeper.as_ref())
            .is_some_and(|k| !k.files_in_place());
        // sled's handles must all be gone before it can be opened again.
        drop(live.take());
        storeseal::wait_released(dir, std::time::Duration::from_secs(2));
        let integrity::OpenedDir {
            opened,
            tree,
            tasks,
            checked: on_disk,
        } = integrity::open_dir(dir)?;
        if replaced || on_disk.epoch != self.epoch() {
            warn!(
                dir = %dir.display(),
                old_epoch = %super::format_epoch(self.epoch()),
                epoch = %super::format_epoch(on_disk.epoch),
                last_seq = on_disk.last_seq,
                lost_unacked = self.backlog(),
                "the journal directory was replaced while the agent ran; \
                 continuing with the journal now there"
            );
            // Counters first, the epoch last: a reader that sees the new
            // epoch sees the new counters (Release/Acquire).
            self.inner
                .last_seq
                .store(on_disk.last_seq, Ordering::Release);
            self.inner.acked.store(on_disk.acked, Ordering::Release);
            self.inner.epoch.store(on_disk.epoch, Ordering::Release);
        } else {
            integrity::settle(&tree, on_disk, self.last_seq(), self.acked())?;
            // The refused entries must not come back after a power cut either.
            opened.keeper.sync_files()?;
            info!(dir = %dir.display(), "journal reopened after a storage error");
        }
        *live = Some(Live {
            tree,
            tasks,
            _db: Some(opened.db),
            keeper: Some(opened.keeper),
        });
        self.inner.broken.store(false, Ordering::Release);
        Ok(())
    }
}
