//! The in-memory file system as a pure model: inodes, directories, open
//! handles, and for each of them what is current and what is durable.
//!
//! Why it is separate from the FUSE glue: the durability rules are the point
//! of the crate, and here they can be unit-tested without a kernel. Rules:
//! a file's content (and its mode, owner, times) becomes durable at `fsync`
//! or `fdatasync` of that file ([`State::fsync`]); a directory's entries
//! become durable at `fsync` of that directory ([`State::fsyncdir`]), so
//! create, unlink, mkdir, rmdir and rename are lost by a cut until the
//! directories they touch are synced. [`State::cut`] (in `revert`) throws the
//! volatile part away. An inode that no current entry, no durable entry and
//! no open handle refers to is dropped at once, so memory tracks what a cut
//! could still bring back.

mod handles;
mod namespace;
mod revert;
mod sync;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::time::SystemTime;

use crate::content::FileContent;
use crate::Stats;

/// Inode number as the kernel sees it.
pub(crate) type Ino = u64;
/// The root directory; it always exists.
pub(crate) const ROOT: Ino = 1;
const NAME_MAX: usize = 255;

/// A refusal, translated to an errno by the FUSE layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FsError {
    NotFound,
    Exists,
    NotDir,
    IsDir,
    NotEmpty,
    Invalid,
    NameTooLong,
    TooLarge,
    BadHandle,
}

pub(crate) type FsResult<T> = Result<T, FsError>;

/// The kinds of inode this file system holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
}

/// Attributes other than size and link count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) perm: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) atime: SystemTime,
    pub(crate) mtime: SystemTime,
    pub(crate) ctime: SystemTime,
}

/// What `stat` reports for an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attr {
    pub(crate) ino: Ino,
    pub(crate) kind: Kind,
    pub(crate) size: u64,
    pub(crate) nlink: u32,
    pub(crate) meta: Meta,
    pub(crate) crtime: SystemTime,
}

/// A `setattr` request; `None` leaves the attribute alone.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SetAttr {
    pub(crate) perm: Option<u16>,
    pub(crate) uid: Option<u32>,
    pub(crate) gid: Option<u32>,
    pub(crate) size: Option<u64>,
    pub(crate) atime: Option<SystemTime>,
    pub(crate) mtime: Option<SystemTime>,
}

/// How `rename` treats an existing target (renameat2 flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameMode {
    Replace,
    NoReplace,
    Exchange,
}

/// One line of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub(crate) ino: Ino,
    pub(crate) kind: Kind,
    pub(crate) name: OsString,
}

#[derive(Debug, Default)]
struct Dir {
    entries: BTreeMap<OsString, Ino>,
    durable: BTreeMap<OsString, Ino>,
    dirty: bool,
    parent: Ino,
    subdirs: u32,
}

#[derive(Debug)]
enum Body {
    File(FileContent),
    Dir(Dir),
}

#[derive(Debug)]
struct Inode {
    body: Body,
    meta: Meta,
    durable_meta: Meta,
    crtime: SystemTime,
    /// Current directory entries naming this inode.
    links: u32,
    /// Durable directory entries naming this inode.
    durable_links: u32,
    open: u32,
}

#[derive(Debug)]
enum Handle {
    File(Ino),
    Dir { ino: Ino, listing: Vec<DirEntry> },
}

/// The whole file system.
#[derive(Debug)]
pub(crate) struct State {
    inodes: HashMap<Ino, Inode>,
    handles: HashMap<u64, Handle>,
    next_ino: Ino,
    next_fh: u64,
    stats: Stats,
}

fn check_name(name: &OsStr) -> FsResult<()> {
    let bytes = name.as_encoded_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(FsError::Invalid);
    }
    if bytes.len() > NAME_MAX {
        return Err(FsError::NameTooLong);
    }
    Ok(())
}

impl Inode {
    fn new(body: Body, perm: u16, uid: u32, gid: u32) -> Inode {
        let now = SystemTime::now();
        let meta = Meta {
            perm: perm & 0o7777,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
        };
        Inode {
            body,
            meta,
            durable_meta: meta,
            crtime: now,
            links: 0,
            durable_links: 0,
            open: 0,
        }
    }

    fn kind(&self) -> Kind {
        match self.body {
            Body::File(_) => Kind::File,
            Body::Dir(_) => Kind::Dir,
        }
    }

    fn touch(&mut self) {
        let now = SystemTime::now();
        self.meta.mtime = now;
        self.meta.ctime = now;
    }
}

impl State {
    /// A file system holding only an empty root directory owned by `uid`.
    pub(crate) fn new(uid: u32, gid: u32) -> State {
        let mut root = Inode::new(Body::Dir(Dir::default()), 0o755, uid, gid);
        root.links = 1;
        root.durable_links = 1;
        if let Body::Dir(d) = &mut root.body {
            d.parent = ROOT;
        }
        State {
            inodes: HashMap::from([(ROOT, root)]),
            handles: HashMap::new(),
            next_ino: ROOT + 1,
            next_fh: 1,
            stats: Stats::default(),
        }
    }

    fn inode(&self, ino: Ino) -> FsResult<&Inode> {
        self.inodes.get(&ino).ok_or(FsError::NotFound)
    }

    fn inode_mut(&mut self, ino: Ino) -> FsResult<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(FsError::NotFound)
    }

    fn dir(&self, ino: Ino) -> FsResult<&Dir> {
        match &self.inode(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(FsError::NotDir),
        }
    }

    fn dir_mut(&mut self, ino: Ino) -> FsResult<&mut Dir> {
        match &mut self.inode_mut(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(FsError::NotDir),
        }
    }

    fn file_mut(&mut self, ino: Ino) -> FsResult<&mut FileContent> {
        match &mut self.inode_mut(ino)?.body {
            Body::File(c) => Ok(c),
            Body::Dir(_) => Err(FsError::IsDir),
        }
    }

    /// A directory that still has a name (not removed while open).
    fn live_dir(&self, ino: Ino) -> FsResult<&Dir> {
        let dir = self.dir(ino)?;
        if ino != ROOT && self.inode(ino)?.links == 0 {
            return Err(FsError::NotFound);
        }
        Ok(dir)
    }

    fn child(&self, parent: Ino, name: &OsStr) -> FsResult<Ino> {
        let dir = self.dir(parent)?;
        match name.as_encoded_bytes() {
            b"." => Ok(parent),
            b".." => Ok(dir.parent),
            _ => dir.entries.get(name).copied().ok_or(FsError::NotFound),
        }
    }

    /// The attributes of `ino`.
    pub(crate) fn attr(&self, ino: Ino) -> FsResult<Attr> {
        let inode = self.inode(ino)?;
        let (size, nlink) = match &inode.body {
            Body::File(c) => (c.len(), inode.links),
            Body::Dir(d) => (4096, 2 + d.subdirs),
        };
        Ok(Attr {
            ino,
            kind: inode.kind(),
            size,
            nlink,
            meta: inode.meta,
            crtime: inode.crtime,
        })
    }

    /// The attributes of `name` in directory `parent`.
    pub(crate) fn lookup(&self, parent: Ino, name: &OsStr) -> FsResult<Attr> {
        self.attr(self.child(parent, name)?)
    }

    /// Changes size, mode, owner or times; a size change is volatile content.
    pub(crate) fn set_attr(&mut self, ino: Ino, set: SetAttr) -> FsResult<Attr> {
        if let Some(size) = set.size {
            self.file_mut(ino)?
                .set_len(size)
                .map_err(|_| FsError::TooLarge)?;
        }
        let inode = self.inode_mut(ino)?;
        let now = SystemTime::now();
        let meta = &mut inode.meta;
        meta.perm = set.perm.map_or(meta.perm, |p| p & 0o7777);
        meta.uid = set.uid.unwrap_or(meta.uid);
        meta.gid = set.gid.unwrap_or(meta.gid);
        meta.atime = set.atime.unwrap_or(meta.atime);
        meta.mtime = set
            .mtime
            .unwrap_or(if set.size.is_some() { now } else { meta.mtime });
        meta.ctime = now;
        self.attr(ino)
    }

    /// Up to `size` bytes of `ino` from `offset`.
    pub(crate) fn read(&self, ino: Ino, offset: u64, size: u32) -> FsResult<&[u8]> {
        match &self.inode(ino)?.body {
            Body::File(c) => Ok(c.read(offset, size as usize)),
            Body::Dir(_) => Err(FsError::IsDir),
        }
    }

    /// Writes (volatile until `fsync`); with `append` at the current end.
    pub(crate) fn write(
        &mut self,
        ino: Ino,
        offset: u64,
        data: &[u8],
        append: bool,
    ) -> FsResult<u32> {
        let count = u32::try_from(data.len()).map_err(|_| FsError::Invalid)?;
        let content = self.file_mut(ino)?;
        let offset = if append { content.len() } else { offset };
        content.write(offset, data).map_err(|_| FsError::TooLarge)?;
        self.inode_mut(ino)?.touch();
        self.stats.writes += 1;
        self.stats.bytes_written += data.len() as u64;
        Ok(count)
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> Stats {
        self.stats
    }

    /// Number of inodes and bytes held (for `statfs`).
    pub(crate) fn usage(&self) -> (u64, u64) {
        let bytes = (self.inodes.values())
            .map(|i| match &i.body {
                Body::File(c) => c.len(),
                Body::Dir(_) => 4096,
            })
            .sum();
        (self.inodes.len() as u64, bytes)
    }
}
