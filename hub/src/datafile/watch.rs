//! The running hub's poll of a data file: looks at the file's identity
//! (inode, length, mtime) every [`POLL`] and, on a change, calls the
//! reload. Every write is a rename of a new file, so a change always shows
//! in the inode even within one mtime tick. A reload that fails (a file
//! turned corrupt while the hub runs) is logged and the last good version
//! stays; a hub start with a corrupt file refuses to start instead.

use crate::beat::Beat;
use std::fmt::Display;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::error;

/// How often a file is looked at: a change (a revoked device or token, a
/// new one) takes effect within about this long.
pub const POLL: Duration = Duration::from_millis(250);

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    mtime_ns: i128,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        inode: meta.ino(),
        len: meta.len(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
    })
}

/// Polls `path` until `cancel`, calling `reload` on every change of the
/// file; `what` names the file in the log.
pub async fn watch<E: Display>(
    path: PathBuf,
    what: &'static str,
    beat: Beat,
    cancel: CancellationToken,
    mut reload: impl FnMut() -> Result<(), E>,
) {
    let mut last = stamp(&path);
    loop {
        beat.now();
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let now = stamp(&path);
        if now == last {
            continue;
        }
        last = now;
        if let Err(e) = reload() {
            error!(file = what, error = %e, "not reloaded; keeping the last good version");
        }
    }
}
