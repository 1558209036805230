//! `fsync`, `fdatasync` and `fsync` of a directory: what becomes durable.
//!
//! Why here: syncing a directory is also when an unlinked inode can finally
//! be forgotten (no durable entry names it any more), so the durable link
//! counts and the dropping of unused inodes live beside the syncs.

use super::{Body, FsResult, Ino, Inode, State, ROOT};

impl State {
    /// `fsync`/`fdatasync` of `ino`: its content and attributes become
    /// durable (for a directory, its entries too). Not its name.
    pub(crate) fn fsync(&mut self, ino: Ino, datasync: bool) -> FsResult<()> {
        if datasync {
            self.stats.fdatasyncs += 1;
        } else {
            self.stats.fsyncs += 1;
        }
        self.sync_inode(ino)
    }

    /// `fsync` of directory `ino`: its entries become durable.
    pub(crate) fn fsyncdir(&mut self, ino: Ino) -> FsResult<()> {
        self.stats.fsyncdirs += 1;
        self.sync_inode(ino)
    }

    fn sync_inode(&mut self, ino: Ino) -> FsResult<()> {
        let inode = self.inode_mut(ino)?;
        inode.durable_meta = inode.meta;
        let dir = match &mut inode.body {
            Body::File(c) => {
                c.sync();
                return Ok(());
            }
            Body::Dir(d) => d,
        };
        if !dir.dirty {
            return Ok(());
        }
        let gone: Vec<Ino> = (dir.durable.iter())
            .filter(|(name, ino)| dir.entries.get(*name) != Some(ino))
            .map(|(_, &ino)| ino)
            .collect();
        let new: Vec<Ino> = (dir.entries.iter())
            .filter(|(name, ino)| dir.durable.get(*name) != Some(ino))
            .map(|(_, &ino)| ino)
            .collect();
        dir.durable = dir.entries.clone();
        dir.dirty = false;
        for ino in new {
            if let Some(inode) = self.inodes.get_mut(&ino) {
                inode.durable_links += 1;
            }
        }
        for ino in gone {
            if let Some(inode) = self.inodes.get_mut(&ino) {
                inode.durable_links = inode.durable_links.saturating_sub(1);
            }
            self.maybe_drop(ino);
        }
        Ok(())
    }

    /// Drops `ino` (and what only it kept alive) once nothing refers to it.
    pub(super) fn maybe_drop(&mut self, ino: Ino) {
        let mut work = vec![ino];
        while let Some(ino) = work.pop() {
            let unused = match self.inodes.get(&ino) {
                Some(i) => ino != ROOT && i.links == 0 && i.durable_links == 0 && i.open == 0,
                None => false,
            };
            if !unused {
                continue;
            }
            let Some(Inode {
                body: Body::Dir(d), ..
            }) = self.inodes.remove(&ino)
            else {
                continue;
            };
            for &child in d.durable.values() {
                if let Some(c) = self.inodes.get_mut(&child) {
                    c.durable_links = c.durable_links.saturating_sub(1);
                }
                work.push(child);
            }
            for &child in d.entries.values() {
                if let Some(c) = self.inodes.get_mut(&child) {
                    c.links = c.links.saturating_sub(1);
                }
                work.push(child);
            }
        }
    }
}
