//! The power cut itself: every inode back to its durable state.
//!
//! Why it is more than "copy durable over current": reverting each directory
//! separately can leave an inode that no durable entry reaches any more (it
//! is discarded), bring back one that had been unlinked (with its durable
//! content), or, when a directory's rename was synced in only one of its two
//! directories, name a directory twice. A file may keep several names; a
//! directory keeps only the first entry met walking breadth-first from the
//! root, so the result is always a tree. Link counts, parents and durable
//! link counts are then rebuilt from what survived.

use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;

use super::{Body, Ino, Kind, State, ROOT};
use crate::CutReport;

impl State {
    /// Throws away everything volatile and returns what was lost. Open
    /// handles are forgotten (the caller makes sure there are none).
    pub(crate) fn cut(&mut self) -> CutReport {
        let mut report = CutReport::default();
        let mut rolled_back = HashSet::new();
        self.handles.clear();
        for (&ino, inode) in &mut self.inodes {
            inode.meta = inode.durable_meta;
            inode.open = 0;
            match &mut inode.body {
                Body::File(c) => {
                    let dropped = c.revert();
                    report.bytes_dropped += dropped.bytes;
                    if dropped.rolled_back {
                        rolled_back.insert(ino);
                    }
                }
                Body::Dir(d) => {
                    let changed = (d.entries.iter())
                        .filter(|(n, i)| d.durable.get(*n) != Some(i))
                        .count();
                    let gone = (d.durable.iter())
                        .filter(|(n, _)| !d.entries.contains_key(*n))
                        .count();
                    report.entries_reverted += (changed + gone) as u64;
                    d.entries = d.durable.clone();
                    d.dirty = false;
                }
            }
        }
        let reachable = self.relink(&mut report);
        let before = self.inodes.len();
        self.inodes.retain(|ino, _| reachable.contains(ino));
        report.inodes_discarded = (before - self.inodes.len()) as u64;
        report.files_rolled_back = rolled_back.intersection(&reachable).count() as u64;
        self.stats.cuts += 1;
        report
    }

    /// Walks the reverted tree from the root, rebuilding link counts and
    /// parents; returns the inodes reached.
    fn relink(&mut self, report: &mut CutReport) -> HashSet<Ino> {
        for inode in self.inodes.values_mut() {
            inode.links = 0;
            if let Body::Dir(d) = &mut inode.body {
                d.subdirs = 0;
            }
        }
        let mut seen = HashSet::from([ROOT]);
        let mut queue = VecDeque::from([ROOT]);
        while let Some(dir) = queue.pop_front() {
            let entries: Vec<(OsString, Ino)> = match self.dir(dir) {
                Ok(d) => d.entries.iter().map(|(n, &i)| (n.clone(), i)).collect(),
                Err(_) => continue,
            };
            let mut refused = Vec::new();
            let mut subdirs = 0;
            for (name, child) in entries {
                let Some(inode) = self.inodes.get_mut(&child) else {
                    refused.push(name);
                    continue;
                };
                match &mut inode.body {
                    Body::Dir(_) if seen.contains(&child) => refused.push(name),
                    Body::Dir(d) => {
                        d.parent = dir;
                        inode.links = 1;
                        subdirs += 1;
                        seen.insert(child);
                        queue.push_back(child);
                    }
                    Body::File(_) => {
                        inode.links += 1;
                        seen.insert(child);
                    }
                }
            }
            report.entries_reverted += refused.len() as u64;
            if let Ok(d) = self.dir_mut(dir) {
                d.subdirs = subdirs;
                for name in &refused {
                    d.entries.remove(name);
                    d.durable.remove(name);
                }
            }
        }
        self.finish_relink(&seen);
        seen
    }

    fn finish_relink(&mut self, seen: &HashSet<Ino>) {
        for (ino, inode) in &mut self.inodes {
            if seen.contains(ino) {
                inode.durable_links = inode.links;
            }
        }
        if let Some(root) = self.inodes.get_mut(&ROOT) {
            root.links = 1;
            root.durable_links = 1;
            if let Body::Dir(d) = &mut root.body {
                d.parent = ROOT;
            }
        }
        debug_assert!(self.inode(ROOT).map(|i| i.kind()) == Ok(Kind::Dir));
    }
}
