//! The free space the writer keeps in hand before it commits (issue 12: a
//! full disk stops acks, and they resume by themselves when space returns).

use std::path::PathBuf;

/// The free space the writer keeps in hand: a group is not committed when
/// less is left. sled turns a write that fails for want of space into an
/// error that every later operation repeats, even once space returns; a
/// commit refused before sled writes anything leaves the store usable, so
/// acks resume by themselves when space comes back.
#[derive(Debug, Clone)]
pub struct DiskFloor {
    /// The data directory.
    pub dir: PathBuf,
    /// The least free space a commit may start with.
    pub min_free_bytes: u64,
}

impl DiskFloor {
    /// Why a commit must not start now, if it must not (also what
    /// `/healthz` says about the disk).
    pub fn refuses(&self) -> Option<String> {
        let dir = self.dir.display();
        match free_bytes(&self.dir) {
            Ok(free) if free < self.min_free_bytes => Some(format!(
                "disk: {} KiB free for {dir}, below the {} KiB kept in hand",
                free / 1024,
                self.min_free_bytes / 1024
            )),
            Ok(_) => None,
            Err(e) => Some(format!("disk: cannot read the free space for {dir}: {e}")),
        }
    }
}

/// Bytes an unprivileged writer may still use on the file system of `dir`.
pub fn free_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs(3) with a NUL-terminated path and a zeroed struct of
    // the right type, which it fills.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}
