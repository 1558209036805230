//! `powercut`: a FUSE file system for tests that simulates pulling the plug,
//! in the style of LazyFS (which Jepsen uses).
//!
//! Why it exists: a test can SIGKILL a process, but the kernel's page cache
//! survives that, so data the process never made durable still looks safe.
//! Mount a [`PowerCut`] at a directory, run real child processes (the
//! `agent` and `hub` binaries) with their data inside it, kill them, call
//! [`PowerCut::cut`], and restart them: they find exactly what a drive that
//! honours flushes would hold after a power cut, and nothing more.
//!
//! # Semantics (strict POSIX durability)
//!
//! - **Content**: every write and size change to a file since its last
//!   `fsync` or `fdatasync` is volatile. Either makes that file's current
//!   content, size, mode, owner and times durable. `sync_file_range`,
//!   `close` and `flush` make nothing durable.
//! - **Names**: create, mkdir, unlink, rmdir and rename are volatile until
//!   the directory they change is synced (`fsync` on a directory handle). A
//!   rename touches two directories; each one's change becomes durable when
//!   that directory is synced. So a file fsynced but whose name was never
//!   synced is gone after a cut; a file whose directory was synced but whose
//!   content was not is there, empty; an unlinked file whose directory was
//!   not synced comes back with its durable content.
//! - **After the revert** inodes that no durable entry reaches are
//!   discarded; the root directory always exists. A directory named by two
//!   durable entries (a directory rename synced in only one of the two
//!   directories) keeps the first one found breadth-first from the root.
//!
//! All state is in the memory of the test process; one background thread
//! of that process serves the mount (single-threaded, one mutex).
//!
//! # Example
//!
//! ```no_run
//! # fn main() -> Result<(), powercut::PowerCutError> {
//! let dir = std::path::Path::new("/tmp/pc-example");
//! let mut pc = powercut::PowerCut::mount(dir)?;
//! std::fs::write(pc.path().join("f"), b"lost").expect("write");
//! let report = pc.cut()?; // nothing was fsynced: `f` is gone
//! assert!(!pc.path().join("f").exists());
//! assert_eq!(report.entries_reverted, 1);
//! # Ok(()) }
//! ```
//!
//! # Requirements and limits
//!
//! `/dev/fuse` must exist; as root the mount is made directly with
//! `mount(2)` (otherwise fuser falls back to `fusermount3`, which must then
//! be on `PATH`). [`PowerCut::cut`] unmounts with `umount2(2)`, so it needs
//! root (CAP_SYS_ADMIN), as the tests here have. Regular files and
//! directories only: symlinks and hard links get `EPERM`, device nodes and
//! FIFOs `EOPNOTSUPP`, extended attributes are not supported; `fallocate`
//! only in its default mode (it grows the file, volatile like a write).
//! `flock` and POSIX locks are left to the kernel, which handles them
//! locally. Files are capped at 4 GiB (`EFBIG`). A test process killed
//! outright (no `Drop`) leaves a stale mount behind ("Transport endpoint is
//! not connected"); `fusermount3 -u -z DIR` removes it.

#![warn(missing_docs)]

mod content;
mod fs;
mod mount;
mod shared;
mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fuser::BackgroundSession;

use crate::shared::Shared;
use crate::state::State;

/// How long `cut()` waits for the kernel to close a killed process's files.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How long an unmount retries while the mount is still busy.
const UNMOUNT_WAIT: Duration = Duration::from_secs(2);

/// Counters of what clients did, since the mount (a cut does not reset them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// FUSE write requests.
    pub writes: u64,
    /// Bytes in those writes.
    pub bytes_written: u64,
    /// `fsync` of a file (the datasync flag clear).
    pub fsyncs: u64,
    /// `fdatasync` of a file (the datasync flag set).
    pub fdatasyncs: u64,
    /// `fsync` of a directory.
    pub fsyncdirs: u64,
    /// Completed [`PowerCut::cut`]s.
    pub cuts: u64,
}

/// What one [`PowerCut::cut`] threw away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CutReport {
    /// Surviving files whose content or size went back to the last sync.
    pub files_rolled_back: u64,
    /// Bytes written since the last sync of their file (all files, including
    /// those that vanished; an overwrite counts each time).
    pub bytes_dropped: u64,
    /// Directory entries that changed back: names created since the last
    /// sync of their directory and removed again, removed names restored,
    /// renamed targets reverted.
    pub entries_reverted: u64,
    /// Inodes discarded because no durable entry reached them any more.
    pub inodes_discarded: u64,
}

/// Why mounting, cutting or unmounting failed.
#[derive(Debug, thiserror::Error)]
pub enum PowerCutError {
    /// This machine cannot run a FUSE file system.
    #[error("FUSE is not available: {0}")]
    FuseUnavailable(String),
    /// The mount point could not be created or resolved.
    #[error("cannot use {path} as a mount point: {source}")]
    MountPoint {
        /// The mount point as given.
        path: PathBuf,
        /// Why it could not be used.
        source: std::io::Error,
    },
    /// A FUSE file system (live or stale) is already mounted there.
    #[error("{0} already has a FUSE mount (a stale one goes with `fusermount3 -u -z`)")]
    AlreadyMounted(PathBuf),
    /// The kernel refused the mount.
    #[error("mounting the power-cut file system at {path} failed: {source}")]
    Mount {
        /// The mount point.
        path: PathBuf,
        /// What fuser or the kernel said.
        source: std::io::Error,
    },
    /// The mount did not answer in time.
    #[error("the mount at {path} did not come up within {waited:?}")]
    NotLive {
        /// The mount point.
        path: PathBuf,
        /// How long it was given.
        waited: Duration,
    },
    /// Files or directories in the mount were still open at a cut.
    #[error(
        "cannot cut power at {path}: {handles} file(s)/directories still open \
         (kill and wait for every process using the mount, drop open files)"
    )]
    StillOpen {
        /// The mount point.
        path: PathBuf,
        /// Open file and directory handles.
        handles: usize,
    },
    /// The mount stayed busy (a process's working directory, an mmap).
    #[error("cannot unmount {0}: still busy (a process has its cwd or a mapping there?)")]
    Busy(PathBuf),
    /// `umount2(2)` failed.
    #[error("unmounting {path} failed: {source}")]
    Unmount {
        /// The mount point.
        path: PathBuf,
        /// The error of `umount2(2)`.
        source: std::io::Error,
    },
    /// The thread serving the mount ended badly.
    #[error("the thread serving {path} failed: {reason}")]
    Session {
        /// The mount point.
        path: PathBuf,
        /// What the thread reported.
        reason: String,
    },
}

/// A mounted power-cut file system; unmounted when dropped.
#[derive(Debug)]
pub struct PowerCut {
    path: PathBuf,
    shared: Arc<Shared>,
    session: Option<BackgroundSession>,
}

impl PowerCut {
    /// Mounts an empty file system at `mountpoint` (created if missing) and
    /// returns once the mount answers.
    pub fn mount(mountpoint: &Path) -> Result<PowerCut, PowerCutError> {
        mount::preflight()?;
        let bad_point = |source| PowerCutError::MountPoint {
            path: mountpoint.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(mountpoint).map_err(bad_point)?;
        let path = mountpoint.canonicalize().map_err(bad_point)?;
        mount::check_not_mounted(&path)?;
        // SAFETY: geteuid/getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let shared = Arc::new(Shared::new(State::new(uid, gid)));
        let session = mount::start(&shared, &path)?;
        Ok(PowerCut {
            path,
            shared,
            session: Some(session),
        })
    }

    /// The mount point (absolute, symlinks resolved).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cuts the power: unmounts, reverts everything to its durable state and
    /// mounts again at the same path (so no kernel cache serves old data).
    ///
    /// Nothing in the mount may be open: kill (and wait for) the processes
    /// using it first. Files closed by a kill are released by the kernel a
    /// moment later; this waits up to 5 s for that, then fails with
    /// [`PowerCutError::StillOpen`] and leaves the mount as it was.
    pub fn cut(&mut self) -> Result<CutReport, PowerCutError> {
        if let Some(session) = self.session.take() {
            if let Err(e) = self.quiesce() {
                self.session = Some(session);
                return Err(e);
            }
            mount::join(&self.path, session)?;
        }
        let report = self.shared.lock().cut();
        self.session = Some(mount::start(&self.shared, &self.path)?);
        Ok(report)
    }

    /// Waits for every handle to close, then unmounts.
    fn quiesce(&self) -> Result<(), PowerCutError> {
        (self.shared.wait_closed(CLOSE_WAIT)).map_err(|handles| PowerCutError::StillOpen {
            path: self.path.clone(),
            handles,
        })?;
        mount::unmount(&self.path, UNMOUNT_WAIT)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats()
    }
}

impl Drop for PowerCut {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        if mount::unmount(&self.path, UNMOUNT_WAIT).is_ok() {
            let _ = mount::join(&self.path, session);
        } else {
            // Still in use: detach it; the serving thread ends when the last
            // user lets go.
            mount::detach(&self.path);
            drop(session);
        }
    }
}
