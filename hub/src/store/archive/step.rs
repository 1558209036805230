//! Moving one segment's worth of old entries out of sled (the steps are
//! listed in [`crate::store::archive`]).

use super::segment::{Checkpoint, SegmentName, SegmentWriter, Streams};
use crate::pool::{DeviceEpoch, EventRecord};
use crate::store::applied::index_key;
use crate::store::codec::{decode, encode_i64, i64_of, id_key, id_of};
use crate::store::{Store, StoreError, NEXT_EVENT};

/// The sled key of the archive's marker: entries `1..=` it are archived.
pub(crate) const ARCHIVED_THROUGH: &[u8] = b"marchived_through";

/// Entries removed from sled per batch (large batches outrun sled's
/// garbage collector: see [`crate::store::reclaim`]).
const REMOVE_CHUNK: usize = 256;

/// When the log is archived: once sled holds `keep + segment` entries past
/// the archive, the oldest `segment` of them move to a segment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchivePolicy {
    /// Newest entries always kept in sled (where resends are compared).
    pub keep: u64,
    /// Entries per segment file.
    pub segment: u64,
}

impl Default for ArchivePolicy {
    fn default() -> Self {
        ArchivePolicy {
            keep: 65_536,
            segment: 65_536,
        }
    }
}

/// One segment archived: its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Archived {
    /// Its first entry.
    pub first: u64,
    /// Its last entry.
    pub last: u64,
}

impl Store {
    /// Archives the oldest `policy.segment` entries in sled if it holds
    /// more than `policy.keep + policy.segment`; returns what moved. Runs
    /// on the archiver's thread beside the writer; one step at a time.
    pub fn archive_step(&self, policy: ArchivePolicy) -> Result<Option<Archived>, StoreError> {
        let _one = self
            .archive
            .stepping
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let through = self.archive.through();
        let logged = self.counter(NEXT_EVENT)?.saturating_sub(1);
        let segment = policy.segment.max(1);
        if logged < through + policy.keep + segment {
            return Ok(None);
        }
        let name = SegmentName {
            first: through + 1,
            last: through + segment,
        };
        let streams = self.write_segment(&name).inspect_err(|_| {
            // A half-written segment (a full disk, say) must not hold on
            // to the space that the retry, or the writer, needs.
            let temp = self.archive.dir.join(format!("{}.tmp", name.file_name()));
            let _ = std::fs::remove_file(temp);
        })?;
        let mut batch = sled::Batch::default();
        batch.insert(ARCHIVED_THROUGH, encode_i64(name.last as i64));
        self.apply_counted(batch)?;
        {
            let mut state = self
                .archive
                .state
                .write()
                .unwrap_or_else(|p| p.into_inner());
            state.through = name.last;
            state.segments.push(name.clone());
            state.streams = streams;
        }
        remove_entries(&self.tree, name.last)?;
        tracing::info!(
            first = name.first,
            last = name.last,
            "event log entries archived"
        );
        Ok(Some(Archived {
            first: name.first,
            last: name.last,
        }))
    }

    /// Writes entries `name.first..=name.last` from sled to a segment file,
    /// durably; returns each stream's last archived seq through it.
    pub(super) fn write_segment(&self, name: &SegmentName) -> Result<Streams, StoreError> {
        let mut replay = self.checkpoint_at_or_below(name.first - 1)?.into_replay();
        let mut streams = self.archive.state().streams.clone();
        let dir = &self.archive.dir;
        let temp = dir.join(format!("{}.tmp", name.file_name()));
        let mut out = SegmentWriter::create(temp.clone(), name.clone())?;
        for item in self
            .tree
            .range(id_key(b'e', name.first)..=id_key(b'e', name.last))
        {
            let (key, value) = item?;
            let id = id_of(&key)?;
            let event: EventRecord = decode(&key, &value)?;
            out.entry(id, &event)?;
            replay.apply(&event);
            if let Some(last) = event.movements.last() {
                let stream = DeviceEpoch {
                    device: event.device,
                    epoch: event.epoch,
                };
                streams.insert(stream, last.seq);
            }
        }
        out.finish(&Checkpoint::of(name.last, replay), &streams)?;
        let path = dir.join(name.file_name());
        let err = |source| StoreError::Archive {
            path: path.clone(),
            source,
        };
        std::fs::rename(&temp, &path).map_err(err)?;
        storeseal::manifest::sync_dir(dir)?;
        Ok(streams)
    }
}

/// The archive's marker in `tree` (0: nothing archived).
pub(crate) fn marker(tree: &sled::Tree) -> Result<u64, StoreError> {
    match tree.get(ARCHIVED_THROUGH)? {
        None => Ok(0),
        Some(v) => Ok(i64_of(ARCHIVED_THROUGH, &v)? as u64),
    }
}

/// Removes log entries `..=through` and their index keys from sled, in
/// small batches (not flushed: a crash leaves some, removed at the next
/// open). Returns how many entries were removed.
pub(crate) fn remove_entries(tree: &sled::Tree, through: u64) -> Result<u64, StoreError> {
    let mut removed = 0;
    loop {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for item in tree
            .range(id_key(b'e', 0)..=id_key(b'e', through))
            .take(REMOVE_CHUNK)
        {
            let (key, value) = item?;
            let event: EventRecord = decode(&key, &value)?;
            if let Some(first) = event.movements.first() {
                let stream = DeviceEpoch {
                    device: event.device,
                    epoch: event.epoch,
                };
                batch.remove(index_key(&stream, first.seq));
            }
            batch.remove(key);
            n += 1;
        }
        if n == 0 {
            return Ok(removed);
        }
        tree.apply_batch(batch)?;
        crate::store::reclaim::help(2 * n);
        removed += n as u64;
    }
}
