//! The offline proof of the archive (`hub verify`): every segment's
//! checkpoint must be the replay of the whole log up to it. The start-up
//! check trusts the newest checkpoint (its CRC checked) so that a start
//! does not read the whole archive; this reads all of it.

use crate::events::{snapshot, Replay};
use crate::store::{Store, StoreError};
use std::collections::BTreeMap;

impl Store {
    /// Replays every archived entry from entry 1 and compares each
    /// segment's checkpoint with the replay so far; returns the entries
    /// replayed, or names the first segment whose checkpoint differs.
    pub fn audit_archive(&self) -> Result<u64, StoreError> {
        let segments = self.archive.state().segments.clone();
        let mut replay = Replay::default();
        for name in &segments {
            let mut segment = self.archive.segment(name)?;
            segment.rewind()?;
            for id in name.first..=name.last {
                let event = segment.next_entry(id)?.ok_or_else(|| {
                    StoreError::Inconsistent(format!("archive segment lacks entry {id}"))
                })?;
                replay.apply(&event);
            }
            let checkpoint = segment.checkpoint()?;
            let theirs: BTreeMap<_, _> = checkpoint
                .stock
                .into_iter()
                .filter(|(_, on_hand)| *on_hand != 0)
                .collect();
            if snapshot(&replay.stock) != theirs || checkpoint.movements != replay.movements {
                return Err(StoreError::Inconsistent(format!(
                    "event log archive segment {}: its checkpoint is not the replay of \
                     entries 1..={}",
                    name.file_name(),
                    name.last
                )));
            }
        }
        Ok(segments.last().map_or(0, |s| s.last))
    }
}
