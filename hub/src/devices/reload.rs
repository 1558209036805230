//! Keeps the running hub's [`Devices`] in step with `devices.json`, on the
//! shared data-file poll ([`crate::datafile::watch`]): on a change it reads
//! the file and swaps the book; a corrupt file keeps the last good book.

use super::book::{DeviceBook, Devices};
use super::registry::{DeviceStatus, Registry, RegistryError, RegistryFile};
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use crate::datafile::POLL;

/// Reads the registry into a book.
pub fn load_book(registry: &Registry) -> Result<DeviceBook, RegistryError> {
    load_versioned(registry).map(|(book, _)| book)
}

/// Reads the registry into a book, with the file's [`generation`].
pub fn load_versioned(registry: &Registry) -> Result<(DeviceBook, u64), RegistryError> {
    let file = registry.load()?;
    let book = DeviceBook::from_file(&file, &registry.path())?;
    Ok((book, generation(&file)))
}

/// A fingerprint of what the hub acts on in a registry: each device's id,
/// key version and status (FNV-1a, 48 bits so that it prints exactly as a
/// metric). It changes with every add, rotation and revocation, so
/// `wms_registry_generation` shows which registry the hub acts on: the
/// broker child loads the same file on its own, and may be a poll ahead.
pub fn generation(file: &RegistryFile) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for device in &file.devices {
        eat(device.id.as_bytes());
        eat(&[0]);
        eat(&device.key_version.to_le_bytes());
        eat(&[u8::from(device.status == DeviceStatus::Active)]);
    }
    hash & ((1 << 48) - 1)
}

/// Polls until `cancel`, swapping `devices` on every change of the file.
/// `loaded` hears the (total, active) counts and the generation of every
/// book swapped in.
pub async fn watch(
    registry: Registry,
    devices: Devices,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
    loaded: impl Fn((usize, usize), u64) + Send + 'static,
) {
    let path = registry.path();
    crate::datafile::watch(path, "device registry", beat, cancel, move || {
        let (book, generation) = load_versioned(&registry)?;
        let (total, active) = book.counts();
        devices.replace(book);
        loaded((total, active), generation);
        info!(total, active, "device registry reloaded");
        Ok::<(), RegistryError>(())
    })
    .await
}
