//! A JSON file in the data directory that several processes change: every
//! change is a read-modify-write under an exclusive `flock` on a lock file
//! beside it, so two commands at once never lose an update, and lands by
//! rename of a fsynced temporary file (mode 0600) followed by a fsync of
//! the directory, so a reader (the running hub) only ever sees a whole old
//! file or a whole new one, and a power cut cannot take the new one back.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a data file could not be read or written.
#[derive(Debug, Error)]
pub enum DataFileError {
    /// Reading, writing or locking a file failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What the file is ("device registry").
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not what it should be.
    #[error("{what} {path} is corrupt: {message}")]
    Corrupt {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The contents of one kind of data file.
pub trait DataFile: Serialize + DeserializeOwned {
    /// The file's name in the data directory.
    const FILE_NAME: &'static str;
    /// Its lock file's name.
    const LOCK_NAME: &'static str;
    /// What it is, for messages ("device registry").
    const WHAT: &'static str;
    /// The format version this build reads and writes.
    const VERSION: u32;
    /// The contents of a file that does not exist yet.
    fn empty() -> Self;
    /// The version the file says it is.
    fn version(&self) -> u32;
}

/// The file of kind `T` in one data directory.
#[derive(Debug)]
pub struct LockedJson<T> {
    dir: PathBuf,
    kind: PhantomData<fn() -> T>,
}

// Derived `Clone` would ask `T: Clone`; only the path is cloned.
impl<T> Clone for LockedJson<T> {
    fn clone(&self) -> Self {
        LockedJson {
            dir: self.dir.clone(),
            kind: PhantomData,
        }
    }
}

impl<T: DataFile> LockedJson<T> {
    /// The file in data directory `dir` (created on the first write).
    pub fn new(dir: &Path) -> LockedJson<T> {
        LockedJson {
            dir: dir.to_path_buf(),
            kind: PhantomData,
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(T::FILE_NAME)
    }

    /// Reads the file; a missing file is [`DataFile::empty`].
    pub fn load(&self) -> Result<T, DataFileError> {
        let path = self.path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::empty()),
            Err(source) => return Err(io::<T>(&path, source)),
        };
        let file: T = serde_json::from_str(&text).map_err(|e| self.corrupt(e.to_string()))?;
        if file.version() != T::VERSION {
            return Err(self.corrupt(format!("unknown format version {}", file.version())));
        }
        Ok(file)
    }

    /// Runs `change` on the file under the lock and writes the result back
    /// (only if `change` succeeds).
    pub fn update<R, E: From<DataFileError>>(
        &self,
        change: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<R, E> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        let out = change(&mut file)?;
        let text = serde_json::to_vec_pretty(&file).map_err(|e| self.corrupt(e.to_string()))?;
        write_private(&self.path(), &text).map_err(|source| io::<T>(&self.path(), source))?;
        Ok(out)
    }

    /// A [`DataFileError::Corrupt`] naming this file.
    pub fn corrupt(&self, message: String) -> DataFileError {
        DataFileError::Corrupt {
            what: T::WHAT,
            path: self.path(),
            message,
        }
    }

    fn lock(&self) -> Result<File, DataFileError> {
        let path = self.dir.join(T::LOCK_NAME);
        let fail = |source| io::<T>(&path, source);
        if !self.dir.is_dir() {
            std::fs::create_dir_all(&self.dir).map_err(fail)?;
            // A data directory a power cut takes is every file in it lost.
            sync_dir(parent_of(&self.dir)).map_err(fail)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(fail)?;
        // SAFETY: flock(2) on a descriptor we own; released when `file` drops.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(fail(std::io::Error::last_os_error()));
        }
        Ok(file)
    }
}

fn io<T: DataFile>(path: &Path, source: std::io::Error) -> DataFileError {
    DataFileError::Io {
        what: T::WHAT,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` as a new file of mode 0600: a temporary file
/// beside it, fsynced, renamed over `path`, then the directory fsynced.
/// Readers see the old file or the new one, never a part; a file that
/// existed with a wider mode is replaced, not reused.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    // A temporary file left by a crash may have any mode: start afresh.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut out = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    out.write_all(bytes)?;
    out.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(parent_of(path))
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir).and_then(|d| d.sync_all())
}
