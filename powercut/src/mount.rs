//! Mounting and unmounting: the checks before, the wait until the mount is
//! live, and an unmount that is synchronous, so a cut can mount again at the
//! same path without racing the old mount.
//!
//! Why not fuser's own unmount: it gives up (and forgets the session) when
//! the mount is busy, and with `auto_unmount` it leaves the unmount to a
//! `fusermount3` helper that finishes at some later moment and could then
//! take down the *new* mount. So this module unmounts with `umount2(2)`
//! itself (we run as root; retrying while the kernel finishes closing a
//! killed process's files), and only then lets the fuser session go.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fuser::{BackgroundSession, Config, MountOption, SessionACL};

use crate::fs::PowerFs;
use crate::shared::Shared;
use crate::PowerCutError;

/// `f_type` of a FUSE mount in `statfs(2)`.
const FUSE_SUPER_MAGIC: i64 = 0x6573_5546;
/// How long a fresh mount may take to answer.
const LIVE_WAIT: Duration = Duration::from_secs(5);
/// Pause between two looks at a condition that has a deadline.
const POLL: Duration = Duration::from_millis(5);

/// Fails with a clear message when FUSE cannot work on this machine.
pub(crate) fn preflight() -> Result<(), PowerCutError> {
    if !Path::new("/dev/fuse").exists() {
        return Err(PowerCutError::FuseUnavailable(
            "/dev/fuse is missing (load the fuse kernel module, or give the container the device)"
                .into(),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root && find_on_path("fusermount3").is_none() {
        return Err(PowerCutError::FuseUnavailable(
            "not running as root and fusermount3 is not on PATH (install Debian's fuse3)".into(),
        ));
    }
    Ok(())
}

/// The first `name` found in `$PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `statfs(2)` type of the file system holding `path`.
fn fs_type(path: &Path) -> io::Result<i64> {
    let c = c_path(path)?;
    // SAFETY: all-zero is a valid `statfs`; `c` is NUL-terminated and lives
    // across the call; the kernel writes only into `buf`.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut buf) } != 0 {
        return Err(io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between targets
    Ok(buf.f_type as i64)
}

/// Refuses a mount point that already has a FUSE mount (live or stale).
pub(crate) fn check_not_mounted(path: &Path) -> Result<(), PowerCutError> {
    let already = match fs_type(path) {
        Ok(t) => t == FUSE_SUPER_MAGIC && is_root_inode(path),
        Err(e) => e.raw_os_error() == Some(libc::ENOTCONN),
    };
    if already {
        return Err(PowerCutError::AlreadyMounted(path.to_path_buf()));
    }
    Ok(())
}

fn is_root_inode(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.ino() == 1)
}

/// Mounts a new view of `shared` at `path` and waits until it answers.
pub(crate) fn start(shared: &Arc<Shared>, path: &Path) -> Result<BackgroundSession, PowerCutError> {
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName("powercut".into()),
        MountOption::Subtype("powercut".into()),
        MountOption::DefaultPermissions,
    ];
    config.acl = SessionACL::All;
    let fs = PowerFs::new(Arc::clone(shared));
    let session = fuser::spawn_mount(fs, path, &config).map_err(|source| PowerCutError::Mount {
        path: path.to_path_buf(),
        source,
    })?;
    let deadline = Instant::now() + LIVE_WAIT;
    loop {
        let live = fs_type(path).is_ok_and(|t| t == FUSE_SUPER_MAGIC) && is_root_inode(path);
        if live {
            return Ok(session);
        }
        if Instant::now() >= deadline {
            detach(path);
            return Err(PowerCutError::NotLive {
                path: path.to_path_buf(),
                waited: LIVE_WAIT,
            });
        }
        thread::sleep(POLL);
    }
}

/// Unmounts `path`, retrying while it is busy until `timeout`. Success when
/// nothing is mounted there any more.
pub(crate) fn unmount(path: &Path, timeout: Duration) -> Result<(), PowerCutError> {
    let fail = |source| PowerCutError::Unmount {
        path: path.to_path_buf(),
        source,
    };
    let c = c_path(path).map_err(fail)?;
    let deadline = Instant::now() + timeout;
    loop {
        // SAFETY: `c` is a NUL-terminated path that outlives the call.
        if unsafe { libc::umount2(c.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINVAL) => return Ok(()), // not a mount point (any more)
            Some(libc::EBUSY) if Instant::now() < deadline => thread::sleep(POLL),
            Some(libc::EBUSY) => return Err(PowerCutError::Busy(path.to_path_buf())),
            _ => return Err(fail(err)),
        }
    }
}

/// Lazily detaches `path` (last resort when it stays busy).
pub(crate) fn detach(path: &Path) {
    if let Ok(c) = c_path(path) {
        // SAFETY: `c` is a NUL-terminated path that outlives the call.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Waits for the session thread of an unmounted file system to end.
pub(crate) fn join(path: &Path, session: BackgroundSession) -> Result<(), PowerCutError> {
    session.join().map_err(|e| PowerCutError::Session {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
