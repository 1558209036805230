//! Relocation: rewriting every live record in place so sled can free the
//! space of its data file, which it otherwise never does under the hub's
//! load.
//!
//! Why: sled 0.34 writes a log of pages and frees a region of its data file
//! only when nothing live is left in it. Under the hub's mix (a sliding
//! window of recent log entries, beside records that live for days:
//! reservations, orders, tasks, devices) old regions keep a little live
//! data each and are never freed; its background cleaner, which should
//! move that data on, does not keep up (measured: the same growth with and
//! without it). A 1,000-device soak grew the data file about 60 MiB a
//! minute with the live data bounded; a standalone reproduction with sled
//! alone is in BENCHMARKS.md ("The store's data file").
//!
//! What: a pass visits every key of every tree and writes each value back
//! with compare-and-swap (the same value, only if unchanged). sled then
//! holds every live page in new regions, and the old regions, left with
//! nothing live, are reused. A pass is started when the data file has grown
//! `grow` bytes past where the last pass left it, and runs in chunks on the
//! upkeep thread, never on the writer.
//!
//! Why it is safe beside the writer: a compare-and-swap that finds another
//! value (the writer changed or removed the key) does nothing, so a pass
//! never undoes a write; and since it writes back the value it read, no
//! reader and no crash can see anything but the records as they were.

use crate::store::{Store, StoreError};

/// When passes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelocatePolicy {
    /// Growth of the data file, in bytes, past where the last pass left
    /// it, that starts a pass (0: never).
    pub grow: u64,
    /// Keys rewritten per chunk.
    pub chunk: usize,
}

impl Default for RelocatePolicy {
    fn default() -> RelocatePolicy {
        RelocatePolicy {
            grow: 64 << 20,
            chunk: 65_536,
        }
    }
}

/// Where a pass stands: the tree (by position in the sorted list of trees)
/// and the last key rewritten in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    tree: usize,
    after: Option<Vec<u8>>,
}

/// The relocation's state between chunks: plain data, kept by the task
/// that runs it.
#[derive(Debug, Clone)]
pub struct Relocator {
    policy: RelocatePolicy,
    /// The data file's size when the last pass ended (or at start).
    floor: Option<u64>,
    pass: Option<Cursor>,
    stats: RelocateStats,
}

/// What the relocation has done since the hub started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelocateStats {
    /// Passes finished.
    pub passes: u64,
    /// Values written back.
    pub rewritten: u64,
    /// Values the writer changed under a pass (left as the writer wrote).
    pub skipped: u64,
}

/// What one call of [`Relocator::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No pass due.
    Idle,
    /// A chunk was rewritten; the pass goes on at the next step.
    Chunk,
    /// The pass ended with this chunk.
    Finished,
}

impl Relocator {
    /// A relocator that starts its first pass once the data file has grown
    /// `policy.grow` past its size at the first step.
    pub fn new(policy: RelocatePolicy) -> Relocator {
        Relocator {
            policy,
            floor: None,
            pass: None,
            stats: RelocateStats::default(),
        }
    }

    /// What it has done so far.
    pub fn stats(&self) -> RelocateStats {
        self.stats
    }

    /// Whether a pass should run, given the data file's size now; starts
    /// one when due. Pure: no I/O.
    pub fn due(&mut self, file_bytes: u64) -> bool {
        if self.pass.is_some() {
            return true;
        }
        if self.policy.grow == 0 {
            return false;
        }
        let floor = *self.floor.get_or_insert(file_bytes);
        if file_bytes.saturating_sub(floor) < self.policy.grow {
            return false;
        }
        self.pass = Some(Cursor {
            tree: 0,
            after: None,
        });
        true
    }

    /// Rewrites the next chunk of a pass if one is due, given the data
    /// file's size now (see the module docs). A failed chunk leaves the
    /// pass where it was.
    pub fn step(&mut self, store: &Store, file_bytes: u64) -> Result<Step, StoreError> {
        if !self.due(file_bytes) {
            return Ok(Step::Idle);
        }
        let Some(cursor) = self.pass.clone() else {
            return Ok(Step::Idle);
        };
        let mut names = store.db.tree_names();
        names.sort();
        let mut budget = self.policy.chunk.max(1);
        let mut at = cursor;
        while let Some(name) = names.get(at.tree) {
            let tree = store.db.open_tree(name)?;
            let chunk = rewrite_chunk(&tree, at.after.as_deref(), budget)?;
            self.stats.rewritten += chunk.rewritten;
            self.stats.skipped += chunk.skipped;
            budget -= chunk.visited;
            match chunk.last {
                Some(last) if budget == 0 => {
                    self.pass = Some(Cursor {
                        tree: at.tree,
                        after: Some(last),
                    });
                    return Ok(Step::Chunk);
                }
                _ => {
                    at = Cursor {
                        tree: at.tree + 1,
                        after: None,
                    }
                }
            }
        }
        self.pass = None;
        self.stats.passes += 1;
        self.floor = Some(store.data_file_bytes());
        Ok(Step::Finished)
    }
}

/// One chunk's outcome in one tree.
struct Chunk {
    visited: usize,
    rewritten: u64,
    skipped: u64,
    /// The last key visited; `None` when the tree had nothing after the
    /// cursor.
    last: Option<Vec<u8>>,
}

/// Writes back up to `budget` values of `tree` after `after`, each only if
/// unchanged since read.
fn rewrite_chunk(
    tree: &sled::Tree,
    after: Option<&[u8]>,
    budget: usize,
) -> Result<Chunk, StoreError> {
    use std::ops::Bound;
    let from = match after {
        Some(key) => Bound::Excluded(key.to_vec()),
        None => Bound::Unbounded,
    };
    let mut chunk = Chunk {
        visited: 0,
        rewritten: 0,
        skipped: 0,
        last: None,
    };
    for item in tree
        .range::<Vec<u8>, _>((from, Bound::Unbounded))
        .take(budget)
    {
        let (key, value) = item?;
        match tree.compare_and_swap(&key, Some(&value), Some(&value))? {
            Ok(()) => chunk.rewritten += 1,
            Err(_) => chunk.skipped += 1,
        }
        chunk.visited += 1;
        chunk.last = Some(key.to_vec());
    }
    Ok(chunk)
}

impl Store {
    /// The size of sled's data file, bytes (0 if it cannot be read).
    pub fn data_file_bytes(&self) -> u64 {
        crate::store::compact::data_file_bytes(self.dir())
    }

    /// The store's directory.
    pub fn dir(&self) -> &std::path::Path {
        self.seal.keeper.dir()
    }
}

#[cfg(test)]
#[path = "relocate_tests.rs"]
mod tests;
