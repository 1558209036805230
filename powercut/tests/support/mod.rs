//! Shared helpers of the integration tests: the FUSE precondition check (a
//! missing `/dev/fuse` or `fusermount3` fails the test with a clear message,
//! never skips it) and a fresh mount in a temporary directory.

#![allow(dead_code)] // each test binary uses a different part

use std::fs::File;
use std::path::{Path, PathBuf};

use powercut::PowerCut;

/// Panics, saying what to install, when this machine cannot run the tests.
pub fn require_fuse() {
    assert!(
        Path::new("/dev/fuse").exists(),
        "powercut tests need /dev/fuse: load the fuse kernel module \
         (or give the container the device)"
    );
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join("fusermount3").is_file()));
    assert!(
        on_path,
        "powercut tests need fusermount3 on PATH: install Debian's fuse3 (apt-get install fuse3)"
    );
}

/// A power-cut file system mounted in a new temporary directory.
pub struct Mounted {
    pub pc: PowerCut,
    _dir: tempfile::TempDir,
}

impl Mounted {
    pub fn new() -> Mounted {
        require_fuse();
        let dir = tempfile::tempdir().expect("temporary directory");
        let pc = match PowerCut::mount(&dir.path().join("mnt")) {
            Ok(pc) => pc,
            Err(e) => panic!("mounting the power-cut file system failed: {e}"),
        };
        Mounted { pc, _dir: dir }
    }

    /// A path inside the mount.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.pc.path().join(rel)
    }
}

/// `fsync` of a directory (what makes its entries durable).
pub fn sync_dir(dir: &Path) {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .unwrap_or_else(|e| panic!("fsync of directory {}: {e}", dir.display()));
}
