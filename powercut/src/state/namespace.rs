//! Directory entry changes: create, unlink, rmdir, rename.
//!
//! Why here: every one of them edits only the *current* entry maps and link
//! counts; nothing is durable until the touched directories are synced
//! (`sync.rs`). Keeping the POSIX checks (ENOTEMPTY, EISDIR, moving a
//! directory under itself) in one place keeps the model honest.

use std::ffi::OsStr;
use std::time::SystemTime;

use super::{check_name, Attr, Body, Dir, FsError, FsResult, Ino, Inode, Kind, RenameMode, State};
use crate::content::FileContent;

impl State {
    fn insert_entry(&mut self, dir: Ino, name: &OsStr, ino: Ino) -> FsResult<()> {
        let is_dir = self.inode(ino)?.kind() == Kind::Dir;
        let d = self.dir_mut(dir)?;
        d.entries.insert(name.to_os_string(), ino);
        d.dirty = true;
        d.subdirs += u32::from(is_dir);
        self.inode_mut(dir)?.touch();
        let inode = self.inode_mut(ino)?;
        inode.links += 1;
        if let Body::Dir(child) = &mut inode.body {
            child.parent = dir;
        }
        Ok(())
    }

    fn remove_entry(&mut self, dir: Ino, name: &OsStr) -> FsResult<Ino> {
        let d = self.dir_mut(dir)?;
        let ino = d.entries.remove(name).ok_or(FsError::NotFound)?;
        d.dirty = true;
        let inode = self.inode_mut(ino)?;
        inode.links = inode.links.saturating_sub(1);
        inode.meta.ctime = SystemTime::now();
        let is_dir = inode.kind() == Kind::Dir;
        let d = self.dir_mut(dir)?;
        d.subdirs = d.subdirs.saturating_sub(u32::from(is_dir));
        self.inode_mut(dir)?.touch();
        Ok(ino)
    }

    /// Creates an empty file or directory `name` in `parent` (volatile until
    /// `parent` is synced).
    pub(crate) fn make_node(
        &mut self,
        parent: Ino,
        name: &OsStr,
        kind: Kind,
        perm: u16,
        owner: (u32, u32),
    ) -> FsResult<Attr> {
        check_name(name)?;
        if self.live_dir(parent)?.entries.contains_key(name) {
            return Err(FsError::Exists);
        }
        let body = match kind {
            Kind::File => Body::File(FileContent::default()),
            Kind::Dir => Body::Dir(Dir::default()),
        };
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes
            .insert(ino, Inode::new(body, perm, owner.0, owner.1));
        self.insert_entry(parent, name, ino)?;
        self.attr(ino)
    }

    /// Removes the non-directory `name` from `parent`.
    pub(crate) fn unlink(&mut self, parent: Ino, name: &OsStr) -> FsResult<()> {
        let ino = self.child(parent, name)?;
        if self.inode(ino)?.kind() == Kind::Dir {
            return Err(FsError::IsDir);
        }
        self.remove_entry(parent, name)?;
        self.maybe_drop(ino);
        Ok(())
    }

    /// Removes the empty directory `name` from `parent`.
    pub(crate) fn rmdir(&mut self, parent: Ino, name: &OsStr) -> FsResult<()> {
        check_name(name)?;
        let ino = self.child(parent, name)?;
        if !self.dir(ino)?.entries.is_empty() {
            return Err(FsError::NotEmpty);
        }
        self.remove_entry(parent, name)?;
        self.maybe_drop(ino);
        Ok(())
    }

    /// Renames `name` in `parent` to `new_name` in `new_parent`. Each of the
    /// two directories' changes becomes durable when that directory is synced.
    pub(crate) fn rename(
        &mut self,
        from: (Ino, &OsStr),
        to: (Ino, &OsStr),
        mode: RenameMode,
    ) -> FsResult<()> {
        check_name(from.1)?;
        check_name(to.1)?;
        let src = self.child(from.0, from.1)?;
        let dst = self.live_dir(to.0)?.entries.get(to.1).copied();
        match (mode, dst) {
            (RenameMode::Exchange, None) => return Err(FsError::NotFound),
            (RenameMode::Exchange, Some(dst)) => return self.exchange(from, to, src, dst),
            (RenameMode::NoReplace, Some(_)) => return Err(FsError::Exists),
            (_, Some(dst)) if dst == src => return Ok(()),
            _ => {}
        }
        self.check_movable(src, to.0)?;
        if let Some(dst) = dst {
            self.check_replaceable(src, dst)?;
            self.remove_entry(to.0, to.1)?;
        }
        self.remove_entry(from.0, from.1)?;
        self.insert_entry(to.0, to.1, src)?;
        if let Some(dst) = dst {
            self.maybe_drop(dst);
        }
        Ok(())
    }

    fn exchange(&mut self, a: (Ino, &OsStr), b: (Ino, &OsStr), ia: Ino, ib: Ino) -> FsResult<()> {
        if ia == ib {
            return Ok(());
        }
        self.check_movable(ia, b.0)?;
        self.check_movable(ib, a.0)?;
        self.remove_entry(a.0, a.1)?;
        self.remove_entry(b.0, b.1)?;
        self.insert_entry(a.0, a.1, ib)?;
        self.insert_entry(b.0, b.1, ia)
    }

    /// A directory may not move into itself or below itself.
    fn check_movable(&self, ino: Ino, new_parent: Ino) -> FsResult<()> {
        if self.inode(ino)?.kind() != Kind::Dir {
            return Ok(());
        }
        let mut at = new_parent;
        for _ in 0..=self.inodes.len() {
            if at == ino {
                return Err(FsError::Invalid);
            }
            if at == super::ROOT {
                return Ok(());
            }
            at = self.dir(at)?.parent;
        }
        Err(FsError::Invalid)
    }

    fn check_replaceable(&self, src: Ino, dst: Ino) -> FsResult<()> {
        match (self.inode(src)?.kind(), &self.inode(dst)?.body) {
            (Kind::Dir, Body::File(_)) => Err(FsError::NotDir),
            (Kind::File, Body::Dir(_)) => Err(FsError::IsDir),
            (Kind::Dir, Body::Dir(d)) if !d.entries.is_empty() => Err(FsError::NotEmpty),
            _ => Ok(()),
        }
    }
}
