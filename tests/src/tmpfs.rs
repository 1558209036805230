//! A size-limited tmpfs, for the full-disk tests. Mounting needs root (CI
//! and the dev machines run as root); without it the test fails with a
//! message, never a silent skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a directory; unmounted on drop.
pub struct Tmpfs(PathBuf);

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `600k`, `20m`) on `dir`.
    pub fn mount(dir: &Path, size: &str) -> Tmpfs {
        assert!(
            is_root(),
            "this test needs root to mount a size-limited tmpfs (CI runs as root)"
        );
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mounting a tmpfs failed: this test needs root");
        Tmpfs(dir.to_path_buf())
    }

    /// Changes its size (more space returns, or less).
    pub fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
