//! Keeps the running hub's [`Devices`] in step with `devices.json`: polls
//! the file's identity (inode, length, mtime) every [`POLL`], and on a
//! change reads it and swaps the book. Every write is a rename of a new
//! file, so a change always shows in the inode even within one mtime tick.
//! A file that turns corrupt while the hub runs is logged and the last good
//! book stays (a hub start with a corrupt file refuses to start instead).

use super::book::{DeviceBook, Devices};
use super::registry::{Registry, RegistryError};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// How often the file is looked at: a revocation or rotation takes effect
/// within about this long.
pub const POLL: Duration = Duration::from_millis(250);

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    mtime_ns: i128,
}

fn stamp(registry: &Registry) -> Option<Stamp> {
    let meta = std::fs::metadata(registry.path()).ok()?;
    Some(Stamp {
        inode: meta.ino(),
        len: meta.len(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
    })
}

/// Reads the registry into a book.
pub fn load_book(registry: &Registry) -> Result<DeviceBook, RegistryError> {
    let file = registry.load()?;
    DeviceBook::from_file(&file, &registry.path())
}

/// Polls until `cancel`, swapping `devices` on every change of the file.
pub async fn watch(registry: Registry, devices: Devices, cancel: CancellationToken) {
    let mut last = stamp(&registry);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let now = stamp(&registry);
        if now == last {
            continue;
        }
        last = now;
        match load_book(&registry) {
            Ok(book) => {
                let (total, active) = book.counts();
                devices.replace(book);
                info!(total, active, "device registry reloaded");
            }
            Err(e) => error!(error = %e, "device registry not reloaded; keeping the last good one"),
        }
    }
}
