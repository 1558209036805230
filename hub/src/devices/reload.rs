//! Keeps the running hub's [`Devices`] in step with `devices.json`, on the
//! shared data-file poll ([`crate::datafile::watch`]): on a change it reads
//! the file and swaps the book; a corrupt file keeps the last good book.

use super::book::{DeviceBook, Devices};
use super::registry::{Registry, RegistryError};
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use crate::datafile::POLL;

/// Reads the registry into a book.
pub fn load_book(registry: &Registry) -> Result<DeviceBook, RegistryError> {
    let file = registry.load()?;
    DeviceBook::from_file(&file, &registry.path())
}

/// Polls until `cancel`, swapping `devices` on every change of the file.
pub async fn watch(
    registry: Registry,
    devices: Devices,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
) {
    let path = registry.path();
    crate::datafile::watch(path, "device registry", beat, cancel, move || {
        let book = load_book(&registry)?;
        let (total, active) = book.counts();
        devices.replace(book);
        info!(total, active, "device registry reloaded");
        Ok::<(), RegistryError>(())
    })
    .await
}
