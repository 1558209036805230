//! Open handles and directory listings.
//!
//! Why here: `cut()` may only run when nothing is open, so every handle is
//! counted; and a listing is taken when a directory is opened (or rewound)
//! and served from that copy, so entries added or removed meanwhile never
//! make `readdir` skip or repeat a name.

use super::{DirEntry, FsError, FsResult, Handle, Ino, Inode, Kind, State};

impl State {
    /// Opens a regular file; returns the handle.
    pub(crate) fn open(&mut self, ino: Ino) -> FsResult<u64> {
        self.file_mut(ino)?;
        Ok(self.add_handle(ino, Handle::File(ino)))
    }

    /// Opens a directory for listing; returns the handle.
    pub(crate) fn opendir(&mut self, ino: Ino) -> FsResult<u64> {
        let listing = self.listing(ino)?;
        Ok(self.add_handle(ino, Handle::Dir { ino, listing }))
    }

    fn add_handle(&mut self, ino: Ino, handle: Handle) -> u64 {
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, handle);
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.open += 1;
        }
        fh
    }

    /// Closes a handle from `open`, `create` or `opendir`.
    pub(crate) fn release(&mut self, fh: u64) -> FsResult<()> {
        let ino = match self.handles.remove(&fh).ok_or(FsError::BadHandle)? {
            Handle::File(ino) | Handle::Dir { ino, .. } => ino,
        };
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.open = inode.open.saturating_sub(1);
        }
        self.maybe_drop(ino);
        Ok(())
    }

    /// How many handles are open.
    pub(crate) fn open_handles(&self) -> usize {
        self.handles.len()
    }

    fn listing(&self, ino: Ino) -> FsResult<Vec<DirEntry>> {
        let dir = self.dir(ino)?;
        let dot = |name: &str, ino| DirEntry {
            ino,
            kind: Kind::Dir,
            name: name.into(),
        };
        let mut out = vec![dot(".", ino), dot("..", dir.parent)];
        for (name, &child) in &dir.entries {
            let kind = self.inode(child).map_or(Kind::File, Inode::kind);
            out.push(DirEntry {
                ino: child,
                kind,
                name: name.clone(),
            });
        }
        Ok(out)
    }

    /// The entries of directory handle `fh` from position `offset` on; a
    /// listing from 0 is taken afresh, later offsets continue the same one.
    pub(crate) fn readdir(&mut self, fh: u64, offset: u64) -> FsResult<&[DirEntry]> {
        let ino = match self.handles.get(&fh) {
            Some(Handle::Dir { ino, .. }) => *ino,
            _ => return Err(FsError::BadHandle),
        };
        if offset == 0 {
            let fresh = self.listing(ino)?;
            if let Some(Handle::Dir { listing, .. }) = self.handles.get_mut(&fh) {
                *listing = fresh;
            }
        }
        match self.handles.get(&fh) {
            Some(Handle::Dir { listing, .. }) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                Ok(listing.get(start..).unwrap_or(&[]))
            }
            _ => Err(FsError::BadHandle),
        }
    }
}
