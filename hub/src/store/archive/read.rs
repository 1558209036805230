//! Reading the log across both places: archived entries from their
//! segments, the rest from sled.

use super::segment::{Checkpoint, Segment, SegmentName};
use super::{Archive, ArchiveState};
use crate::pool::{DeviceEpoch, EventRecord};
use crate::store::codec::{decode, id_key, id_of};
use crate::store::{Store, StoreError};
use protocol::Movement;
use std::collections::VecDeque;

/// Entries read from sled at a time, under the archive's read lock.
const CHUNK: usize = 1024;

/// The log's entries in id order from some id on, whichever place holds
/// them ([`Store::events_from`]).
pub struct EventCursor<'a> {
    store: &'a Store,
    next: u64,
    segment: Option<Segment>,
    buffer: VecDeque<(u64, EventRecord)>,
    done: bool,
}

impl Iterator for EventCursor<'_> {
    type Item = Result<(u64, EventRecord), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.done {
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
            self.done = self.buffer.is_empty();
        }
        self.buffer.pop_front().map(Ok)
    }
}

impl EventCursor<'_> {
    fn fill(&mut self) -> Result<(), StoreError> {
        if let Some(segment) = &mut self.segment {
            if self.next <= segment.name.last {
                return self.read_segment();
            }
            self.segment = None;
        }
        let store = self.store;
        let state = store.archive.state();
        if self.next > state.through {
            return self.read_sled();
        }
        let name = segment_of(&state, self.next)?;
        drop(state);
        let mut segment = store.archive.segment(&name)?;
        segment.rewind()?;
        for id in name.first..self.next {
            segment.next_entry(id)?;
        }
        self.segment = Some(segment);
        self.read_segment()
    }

    fn read_segment(&mut self) -> Result<(), StoreError> {
        let Some(segment) = &mut self.segment else {
            return Ok(());
        };
        while self.buffer.len() < CHUNK {
            match segment.next_entry(self.next)? {
                Some(event) => {
                    self.buffer.push_back((self.next, event));
                    self.next += 1;
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Entries from sled; the caller holds the read lock, so none of them
    /// is removed while this reads.
    fn read_sled(&mut self) -> Result<(), StoreError> {
        for item in self.store.tree.range(id_key(b'e', self.next)..).take(CHUNK) {
            let (key, value) = item?;
            if key.first() != Some(&b'e') {
                break;
            }
            let id = id_of(&key)?;
            if id != self.next {
                return Err(StoreError::Inconsistent(format!(
                    "event log entry {} is missing (next is {id})",
                    self.next
                )));
            }
            self.buffer.push_back((id, decode(&key, &value)?));
            self.next += 1;
        }
        Ok(())
    }
}

/// The segment holding entry `id` (which is archived).
fn segment_of(state: &ArchiveState, id: u64) -> Result<SegmentName, StoreError> {
    let at = state.segments.partition_point(|s| s.last < id);
    state
        .segments
        .get(at)
        .filter(|s| s.first <= id)
        .cloned()
        .ok_or_else(|| StoreError::Inconsistent(format!("no archive segment holds entry {id}")))
}

impl Store {
    /// The whole event log in order, archived entries included.
    pub fn events(&self) -> EventCursor<'_> {
        self.events_from(1)
    }

    /// The event log in order from entry `first` on.
    pub fn events_from(&self, first: u64) -> EventCursor<'_> {
        EventCursor {
            store: self,
            next: first.max(1),
            segment: None,
            buffer: VecDeque::new(),
            done: false,
        }
    }

    /// The newest checkpoint at or below entry `id` (the stock the log
    /// replays to through it), or an empty one at entry 0.
    pub fn checkpoint_at_or_below(&self, id: u64) -> Result<Checkpoint, StoreError> {
        let state = self.archive.state();
        let at = state.segments.partition_point(|s| s.last <= id);
        let Some(name) = at
            .checked_sub(1)
            .and_then(|i| state.segments.get(i))
            .cloned()
        else {
            return Ok(Checkpoint::default());
        };
        drop(state);
        self.archive.segment(&name)?.checkpoint()
    }

    /// Entries archived so far (`1..=` this are in segments).
    pub fn archived_through(&self) -> u64 {
        self.archive.through()
    }
}

impl Archive {
    /// The movements of `stream` with seqs `from..=through` among the
    /// archived entries (`through` at most the stream's archived seq).
    /// Finds the first segment by binary search on the segments'
    /// cumulative stream seqs, then reads segments in order.
    pub(crate) fn applied_in(
        &self,
        state: &ArchiveState,
        stream: &DeviceEpoch,
        from: u64,
        through: u64,
    ) -> Result<Vec<Movement>, StoreError> {
        let segments = &state.segments;
        let (mut lo, mut hi) = (0, segments.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.archived_in(&segments[mid], stream)? >= from {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let mut out: Vec<Movement> = Vec::new();
        for name in &segments[lo..] {
            let mut segment = self.segment(name)?;
            segment.rewind()?;
            for id in name.first..=name.last {
                let event = segment.next_entry(id)?.ok_or_else(|| {
                    StoreError::Inconsistent(format!("archive segment lacks entry {id}"))
                })?;
                if event.is_of(stream) {
                    out.extend(
                        event
                            .movements
                            .into_iter()
                            .filter(|m| (from..=through).contains(&m.seq)),
                    );
                }
            }
            if out.last().is_some_and(|m| m.seq >= through) {
                break;
            }
        }
        Ok(out)
    }
}
