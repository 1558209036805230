//! The journal's epoch: a random non-zero u64 drawn when the journal is
//! created and kept in it for as long as it lives (WIRE.md §3.9).
//!
//! Why it exists: sequence numbers restart at 1 in a new journal (first
//! start, factory reset, a wiped or new flash card), and without the
//! epoch the hub would take the new journal's scans for resends of the
//! old one and drop them as duplicates. Every batch names its epoch, the
//! hub keeps one watermark per (device, epoch), and the agent acts only on
//! acks for its own epoch.
//!
//! Why it is stored before the first scan: an epoch that a power cut could
//! take back would let a restarted device draw another one for scans the
//! hub already holds under the first. So a new journal's epoch is written
//! and synced (through the same [`storeseal::Keeper`] path as records)
//! before the journal is handed out; a journal that has recorded anything
//! and has no epoch is damaged, and refused.

use super::entry::{encode_meta, read_meta, META_EPOCH};
use super::integrity::Checked;
use super::JournalError;
use tracing::info;

/// A fresh epoch from the operating system's random source (never 0).
pub(crate) fn draw() -> Result<u64, JournalError> {
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| JournalError::Random(e.to_string()))?;
        let epoch = u64::from_be_bytes(bytes);
        if epoch != 0 {
            return Ok(epoch);
        }
    }
}

/// The stored epoch: `None` when there is none yet; a stored 0 is damage.
pub(crate) fn read(tree: &sled::Tree) -> Result<Option<u64>, JournalError> {
    match read_meta(tree, META_EPOCH)? {
        Some(0) => Err(JournalError::CorruptMeta("epoch is 0".into())),
        found => Ok(found),
    }
}

/// Gives a journal without an epoch (a new one: the start-up check
/// refuses any other) its epoch, written, flushed and, with a `keeper`,
/// synced before this returns. A journal that has one keeps it.
pub(crate) fn establish(
    tree: &sled::Tree,
    checked: &mut Checked,
    keeper: Option<&storeseal::Keeper>,
) -> Result<(), JournalError> {
    if checked.epoch != 0 {
        return Ok(());
    }
    let epoch = draw()?;
    tree.insert(META_EPOCH, encode_meta(epoch))?;
    tree.flush()?;
    if let Some(keeper) = keeper {
        keeper.sync_files()?;
    }
    info!(epoch = %format_epoch(epoch), "new journal: epoch drawn");
    checked.epoch = epoch;
    Ok(())
}

/// An epoch as logs and people see it: 16 hex digits.
pub fn format_epoch(epoch: u64) -> String {
    format!("{epoch:016x}")
}
