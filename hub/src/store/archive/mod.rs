//! The event log's archive: old log entries moved out of sled into
//! segment files (`DATA_DIR/log-archive/`), so the store stays the size of
//! the recent log however long the hub runs.
//!
//! Why: sled 0.34 holds an in-memory page table entry (and often the page)
//! for every page of its tree, whatever its cache size, so its memory grows
//! with the tree. The event log is the one part of the store that grows
//! with every scan (a 1,000-device soak wrote 1,000 entries a second and
//! the hub grew about 13 MiB a minute, nearly all of it sled's). The
//! archive bounds the log in sled to `keep` to `keep + segment` entries.
//!
//! How an entry moves ([`Store::archive_step`], on the archiver's own
//! thread, never the writer):
//! 1. entries `through+1 ..= through+segment` are read from sled and
//!    written to a segment file, with the checkpoint (the stock the whole
//!    log replays to through its last entry) and each stream's last
//!    archived seq; the file is synced and renamed into place;
//! 2. `m` + `archived_through` is set in sled and flushed (a counted
//!    write, like the writer's groups);
//! 3. the in-memory state says the entries are archived (readers of the log
//!    see either place, never neither: see [`Archive::state`]);
//! 4. the entries and their index keys are removed from sled.
//!
//! A crash after 1 leaves a segment past the marker, deleted at the next
//! open (its entries are still in sled); a crash after 2 leaves entries in
//! sled at or below the marker, removed at the next open. The start-up
//! check begins at the newest checkpoint, so it replays only the recent
//! log; `hub verify` also proves every checkpoint against a replay of the
//! whole archive (`audit`).

mod audit;
mod read;
pub(crate) mod segment;
pub(crate) mod step;

use crate::pool::DeviceEpoch;
use crate::store::archive::segment::{Segment, SegmentName, Streams};
use crate::store::StoreError;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

pub use read::EventCursor;
pub use segment::Checkpoint;
pub use step::{ArchivePolicy, Archived};

/// The archive's directory under the data directory.
pub const ARCHIVE_DIR: &str = "log-archive";

/// The archive of one store.
#[derive(Debug)]
pub(crate) struct Archive {
    dir: PathBuf,
    state: RwLock<ArchiveState>,
    /// One archive step at a time.
    stepping: Mutex<()>,
}

/// What is archived. Readers hold the read lock while they decide where
/// an entry is and read it from sled; the archiver takes the write lock to
/// move `through` on, and removes entries from sled only after that, so a
/// reader that saw the old `through` has finished with sled by then.
#[derive(Debug, Default)]
pub(crate) struct ArchiveState {
    /// Entries `1..=through` are in segments (and no longer read from sled).
    pub through: u64,
    /// The segments, in id order, contiguous from entry 1.
    pub segments: Vec<SegmentName>,
    /// Each stream's last archived seq.
    pub streams: Streams,
}

impl Archive {
    /// Opens the archive of a store whose marker says `marker` entries are
    /// archived: segments past the marker (a crash before the marker was
    /// written) are deleted, and the segments must reach the marker.
    /// Returns the archive and the newest checkpoint (None before any).
    pub fn open(data_dir: &Path, marker: u64) -> Result<(Archive, Option<Checkpoint>), StoreError> {
        let dir = data_dir.join(ARCHIVE_DIR);
        let mut names = list(&dir)?;
        // One step at a time: at most one segment can lie past the marker.
        // More means the store is not the one this archive belongs to (an
        // empty store opened beside an archive, say); refuse, delete none.
        let past: Vec<_> = names.iter().filter(|n| n.first > marker).collect();
        if past.len() > 1 {
            return Err(StoreError::Inconsistent(format!(
                "event log archive in {} holds {} segments past the {marker} entries the                  store says are archived: it does not belong to this store; nothing deleted",
                dir.display(),
                past.len()
            )));
        }
        for stale in names.iter().filter(|n| n.first > marker) {
            let path = dir.join(stale.file_name());
            std::fs::remove_file(&path).map_err(|source| StoreError::Archive {
                path: path.clone(),
                source,
            })?;
            tracing::warn!(segment = %path.display(), "removed an archive segment past the marker (a crash while archiving)");
        }
        names.retain(|n| n.first <= marker);
        let mut expected = 1;
        for name in &names {
            if name.first != expected || name.last < name.first {
                return Err(StoreError::Inconsistent(format!(
                    "event log archive: segment {} where one from entry {expected} was due",
                    name.file_name()
                )));
            }
            expected = name.last + 1;
        }
        if expected != marker + 1 {
            return Err(StoreError::Inconsistent(format!(
                "event log archive in {} ends at entry {}, but the store says entries \
                 1..={marker} are archived (a segment is missing)",
                dir.display(),
                expected - 1
            )));
        }
        let (streams, checkpoint) = match names.last() {
            None => (Streams::default(), None),
            Some(last) => {
                let mut segment = Segment::open(dir.join(last.file_name()), last.clone())?;
                (segment.streams()?, Some(segment.checkpoint()?))
            }
        };
        let state = ArchiveState {
            through: marker,
            segments: names,
            streams,
        };
        let archive = Archive {
            dir,
            state: RwLock::new(state),
            stepping: Mutex::new(()),
        };
        Ok((archive, checkpoint))
    }

    /// The state, for reading (see [`ArchiveState`] for the rule).
    pub fn state(&self) -> RwLockReadGuard<'_, ArchiveState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries archived so far.
    pub fn through(&self) -> u64 {
        self.state().through
    }

    /// Opens one segment.
    pub fn segment(&self, name: &SegmentName) -> Result<Segment, StoreError> {
        Segment::open(self.dir.join(name.file_name()), name.clone())
    }

    /// The stream's last archived seq through `name`.
    fn archived_in(&self, name: &SegmentName, stream: &DeviceEpoch) -> Result<u64, StoreError> {
        Ok(self
            .segment(name)?
            .streams()?
            .get(stream)
            .copied()
            .unwrap_or(0))
    }
}

/// The segment names in `dir` (created if missing), in id order; leftover
/// temporary files of a crash are removed.
fn list(dir: &Path) -> Result<Vec<SegmentName>, StoreError> {
    let err = |source| StoreError::Archive {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let file = entry.file_name().to_string_lossy().to_string();
        if file.ends_with(".tmp") {
            std::fs::remove_file(entry.path()).map_err(err)?;
        } else if let Some(name) = SegmentName::parse(&file) {
            names.push(name);
        } else {
            return Err(segment::damaged(
                &entry.path(),
                "an unknown file in the event log archive",
            ));
        }
    }
    names.sort_by_key(|n| n.first);
    Ok(names)
}

#[cfg(test)]
mod tests;
