//! Making what sled flushed survive a power cut, not just a killed process.
//!
//! Why it exists: on Linux, sled 0.34's `flush()` ends in
//! `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)` on its data file
//! (`pagecache/iobuf.rs`). That pushes the dirty pages to the device, but it
//! persists neither the file's new length and block allocation nor the
//! drive's volatile write cache; sled's only `sync_all` of the data file runs
//! in its periodic flusher thread (which both our stores switch off, because
//! they flush every commit themselves) and at segment recovery. Values
//! larger than a quarter segment go to files under `blobs/` that sled writes
//! and never syncs; snapshots are synced but renamed without a directory
//! sync. A page cache survives a killed process, so every SIGKILL test passes
//! anyway; a power cut takes all of it.
//!
//! So after every `flush()` a store calls [`SledFiles::sync`]:
//! `fdatasync` of `db` (a handle opened once, so a sync costs one system
//! call), `fdatasync` of every file that appeared since the last sync (new
//! blobs, snapshots, `conf`), and `fsync` of each directory whose entries
//! changed. Listing the two directories costs a few microseconds; it is how
//! a new blob or a rename is noticed without trusting timestamps.

use crate::{io_error, SealError};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

/// sled's data file.
const DB_FILE: &str = "db";
/// sled's directory of large values.
const BLOBS_DIR: &str = "blobs";

/// The files of one open sled store, synced after each flush.
#[derive(Debug)]
pub struct SledFiles {
    dir: PathBuf,
    db: File,
    /// Entries of the store directory at the last sync.
    top: BTreeSet<OsString>,
    /// Entries of `blobs/` at the last sync.
    blobs: BTreeSet<OsString>,
    /// Data syncs issued (for tests and metrics).
    syncs: u64,
}

impl SledFiles {
    /// Opens the handles of the store in `dir` (sled must have created its
    /// files) and syncs everything once, so the store's creation is durable
    /// before anything it holds is confirmed.
    pub fn open(dir: &Path) -> Result<SledFiles, SealError> {
        let path = dir.join(DB_FILE);
        let db = File::open(&path).map_err(io_error(&path))?;
        let mut files = SledFiles {
            dir: dir.to_path_buf(),
            db,
            top: BTreeSet::new(),
            blobs: BTreeSet::new(),
            syncs: 0,
        };
        files.sync()?;
        Ok(files)
    }

    /// Makes everything sled has written so far durable: returns only after
    /// the data file, every new file and every changed directory are synced.
    pub fn sync(&mut self) -> Result<(), SealError> {
        let db_path = self.dir.join(DB_FILE);
        self.db.sync_data().map_err(io_error(&db_path))?;
        self.syncs += 1;
        let blobs_dir = self.dir.join(BLOBS_DIR);
        sync_new_entries(&blobs_dir, &mut self.blobs)?;
        sync_new_entries(&self.dir, &mut self.top)?;
        Ok(())
    }

    /// How many times the data file was synced.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    /// Whether the data file this store writes is still the one at its
    /// path. False once the directory or the file was deleted or replaced
    /// while the store was open: sled then keeps writing to an unlinked
    /// file, which the next start will never see, so nothing written from
    /// then on may be confirmed.
    pub fn in_place(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(held) = self.db.metadata() else {
            return false;
        };
        match std::fs::metadata(self.dir.join(DB_FILE)) {
            Ok(at_path) => {
                held.nlink() > 0 && held.dev() == at_path.dev() && held.ino() == at_path.ino()
            }
            Err(_) => false,
        }
    }
}

/// Syncs each regular file in `dir` that is not in `known`, then the
/// directory itself if its entries differ from `known` (created, renamed or
/// removed); `known` becomes the current listing. A missing directory is an
/// empty one (sled creates `blobs/` on demand).
fn sync_new_entries(dir: &Path, known: &mut BTreeSet<OsString>) -> Result<(), SealError> {
    let now = list(dir)?;
    if now == *known {
        return Ok(());
    }
    for name in now.difference(known) {
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => File::open(&path)
                .and_then(|f| f.sync_data())
                .map_err(io_error(&path))?,
            Ok(meta) if meta.is_dir() => crate::manifest::sync_dir(&path)?,
            // Gone again already (a temporary file): nothing to keep.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&path)(e)),
        }
    }
    if !now.is_empty() || !known.is_empty() {
        crate::manifest::sync_dir(dir)?;
    }
    *known = now;
    Ok(())
}

fn list(dir: &Path) -> Result<BTreeSet<OsString>, SealError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(io_error(dir)(e)),
    };
    entries
        .map(|entry| entry.map(|e| e.file_name()).map_err(io_error(dir)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_are_noticed_and_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("db"), b"x").expect("db");
        let mut files = SledFiles::open(dir.path()).expect("open");
        assert!(files.top.contains(&OsString::from("db")));
        assert!(files.blobs.is_empty());
        std::fs::create_dir(dir.path().join("blobs")).expect("blobs");
        std::fs::write(dir.path().join("blobs/17"), b"big").expect("blob");
        files.sync().expect("sync");
        assert!(files.blobs.contains(&OsString::from("17")));
        assert!(files.top.contains(&OsString::from("blobs")));
        std::fs::remove_file(dir.path().join("blobs/17")).expect("rm");
        files.sync().expect("sync");
        assert!(files.blobs.is_empty());
        assert_eq!(files.syncs(), 3);
    }

    #[test]
    fn a_deleted_or_replaced_data_file_is_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("db"), b"x").expect("db");
        let files = SledFiles::open(dir.path()).expect("open");
        assert!(files.in_place());
        std::fs::remove_file(dir.path().join("db")).expect("rm");
        assert!(!files.in_place(), "deleted");
        std::fs::write(dir.path().join("db"), b"y").expect("new db");
        assert!(!files.in_place(), "replaced by another file");
    }

    #[test]
    fn a_store_without_its_data_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = SledFiles::open(dir.path()).expect_err("no db");
        assert!(err.to_string().contains("db"), "{err}");
    }
}
