//! The journal's start-up check: every untrimmed entry is there, decodes
//! and passes its CRC, the sequence is contiguous from the ack watermark to
//! `next_seq - 1`, that reaches at least the last seq the seal says was
//! confirmed, and a journal that holds anything has its epoch. Runs at every open (and every reopen after a storage error);
//! a damaged journal is refused with the problem named, and nothing is
//! changed or "repaired".

use super::entry::{
    decode_entry, key_seq, read_meta, ENTRY_PREFIX, META_ACKED, META_EPOCH, META_NEXT_SEQ,
};
use super::JournalError;
use std::path::Path;
use storeseal::{Kind, Opened};

/// What a checked journal holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    /// Highest recorded seq (0: none).
    pub last_seq: u64,
    /// Highest acknowledged seq.
    pub acked: u64,
    /// The journal's epoch (0: a new journal that has none yet).
    pub epoch: u64,
}

/// sled's settings for a device journal.
pub(crate) fn sled_config() -> sled::Config {
    // Every record flushes explicitly, so sled's periodic background flush
    // (a thread and an fsync every 500 ms) would only add noise; a small
    // cache keeps a handheld's memory low.
    sled::Config::new()
        .flush_every_ms(None)
        .cache_capacity(8 << 20)
}

/// A journal directory, opened through its seal and checked.
pub(crate) struct OpenedDir {
    /// The database and its seal keeper.
    pub opened: Opened,
    /// The journal's tree.
    pub tree: sled::Tree,
    /// The work queue's tree (see [`super::tasks_tree`]); its content is
    /// checked by `crate::tasks` when the queue is opened.
    pub tasks: sled::Tree,
    /// What the journal tree holds.
    pub checked: Checked,
}

/// Opens the journal directory through its seal and checks its content;
/// a new journal gets its epoch here, durably.
pub(crate) fn open_dir(dir: &Path) -> Result<OpenedDir, JournalError> {
    let opened = storeseal::open(dir, Kind::Journal, sled_config())?;
    let tree = storeseal::without_panic(dir, || opened.db.open_tree("journal"))??;
    let tasks = storeseal::without_panic(dir, || opened.db.open_tree(super::tasks_tree::TREE))??;
    let mut checked = storeseal::without_panic(dir, || check_tree(&tree, opened.mark))??;
    super::epoch::establish(&tree, &mut checked, Some(&opened.keeper))?;
    Ok(OpenedDir {
        opened,
        tree,
        tasks,
        checked,
    })
}

/// Checks one journal tree; `mark`: the last seq known to be confirmed.
pub(crate) fn check_tree(tree: &sled::Tree, mark: u64) -> Result<Checked, JournalError> {
    let stored_next = read_meta(tree, META_NEXT_SEQ)?;
    let next_seq = stored_next.unwrap_or(1);
    let acked = read_meta(tree, META_ACKED)?.unwrap_or(0);
    let epoch = super::epoch::read(tree)?.unwrap_or(0);
    if epoch == 0 && (stored_next.is_some() || acked > 0 || mark > 0) {
        // The epoch is written before the first record; a journal that
        // recorded without one would hand its seqs out under a new epoch.
        return Err(JournalError::CorruptMeta(
            "the journal has recorded scans but no epoch (damaged, or written by a build \
             before journal epochs)"
                .into(),
        ));
    }
    let last_seq = next_seq
        .checked_sub(1)
        .ok_or_else(|| JournalError::CorruptMeta("next_seq is 0".into()))?;
    if acked > last_seq {
        return Err(JournalError::CorruptMeta(format!(
            "acked {acked} is beyond the last sequence number {last_seq}"
        )));
    }
    if last_seq < mark {
        return Err(JournalError::LostTail {
            last_seq,
            confirmed: mark,
        });
    }
    check_keys(tree)?;
    let mut expected = acked + 1;
    for item in tree.range(super::entry::entry_key(0)..) {
        let (key, value) = item?;
        let seq = key_seq(&key).ok_or_else(|| {
            JournalError::CorruptMeta(format!("malformed entry key of {} bytes", key.len()))
        })?;
        if seq > last_seq {
            return Err(JournalError::CorruptMeta(format!(
                "entry {seq} is beyond next_seq {next_seq}"
            )));
        }
        if seq != expected {
            return Err(JournalError::CorruptEntry {
                seq: expected,
                reason: format!("missing (next stored entry is {seq})"),
            });
        }
        decode_entry(seq, &value)?;
        expected += 1;
    }
    if expected <= last_seq {
        return Err(JournalError::CorruptEntry {
            seq: expected,
            reason: format!("missing (the journal records entries up to {last_seq})"),
        });
    }
    Ok(Checked {
        last_seq,
        acked,
        epoch,
    })
}

/// Only metadata and entry keys may exist.
fn check_keys(tree: &sled::Tree) -> Result<(), JournalError> {
    for item in tree.range(..[ENTRY_PREFIX].as_slice()) {
        let (key, _) = item?;
        if ![META_NEXT_SEQ, META_ACKED, META_EPOCH].contains(&key.as_ref()) {
            return Err(JournalError::CorruptMeta(format!(
                "unknown key {}",
                String::from_utf8_lossy(&key).escape_debug()
            )));
        }
    }
    if let Some(item) = tree.range([ENTRY_PREFIX + 1].as_slice()..).next() {
        let (key, _) = item?;
        return Err(JournalError::CorruptMeta(format!(
            "unknown key {}",
            String::from_utf8_lossy(&key).escape_debug()
        )));
    }
    Ok(())
}

/// After a reopen: makes the disk agree with what this process answered.
/// Entries past `confirmed` were refused to the picker (the flush failed)
/// but may have reached the disk; they must never be sent. Acks this
/// process applied but that were lost with the failed flush are re-applied.
pub(crate) fn settle(
    tree: &sled::Tree,
    on_disk: Checked,
    confirmed: u64,
    acked: u64,
) -> Result<(), JournalError> {
    let mut batch = sled::Batch::default();
    let mut changed = false;
    if on_disk.last_seq > confirmed {
        tracing::warn!(
            refused_from = confirmed + 1,
            through = on_disk.last_seq,
            "dropping entries whose scans were refused"
        );
        for seq in confirmed + 1..=on_disk.last_seq {
            batch.remove(&super::entry::entry_key(seq));
        }
        batch.insert(META_NEXT_SEQ, super::entry::encode_meta(confirmed + 1));
        changed = true;
    }
    if acked > on_disk.acked {
        for seq in on_disk.acked + 1..=acked {
            batch.remove(&super::entry::entry_key(seq));
        }
        batch.insert(META_ACKED, super::entry::encode_meta(acked));
        changed = true;
    }
    if changed {
        tree.apply_batch(batch)?;
        tree.flush()?;
    }
    Ok(())
}
