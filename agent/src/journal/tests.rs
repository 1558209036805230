//! Unit tests of the journal that reach into its sled tree: corruption
//! detection, the start-up check, the atomic entry-plus-next-seq write and
//! the settling of a reopened journal.

use super::entry::read_meta;
use super::*;
use protocol::MovementKind;

fn pick(sku: &str) -> MovementDraft {
    MovementDraft::new(MovementKind::Pick, sku, "A-01", 1)
}

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("open");
    (dir, journal)
}

#[test]
fn entry_and_next_seq_are_written_together() {
    let (_dir, j) = journal();
    assert_eq!(j.record(pick("S1")).expect("record"), 1);
    let next = read_meta(&j.tree(), META_NEXT_SEQ).expect("meta");
    assert_eq!(next, Some(2));
    let raw = j.tree().get(entry_key(1)).expect("get").expect("entry");
    assert_eq!(raw[0], STORAGE_VERSION);
}

#[test]
fn corrupted_entry_body_is_a_clear_error() {
    let (_dir, j) = journal();
    j.record(pick("S1")).expect("record");
    j.record(pick("S2")).expect("record");
    j.tree()
        .insert(entry_key(2), &[STORAGE_VERSION, 0xff, 0xff, 0xff][..])
        .expect("insert");
    let err = j
        .unacked(j.epoch(), 0, 10)
        .expect_err("corrupt entry must fail");
    assert!(
        matches!(err, JournalError::CorruptEntry { seq: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("journal entry 2 is corrupt"),
        "{err}"
    );
    // Entries before the corrupt one are still readable on their own.
    assert_eq!(j.unacked(j.epoch(), 0, 1).expect("first").len(), 1);
}

#[test]
fn unknown_storage_version_and_empty_value_are_clear_errors() {
    let (_dir, j) = journal();
    j.record(pick("S1")).expect("record");
    let mut raw = j
        .tree()
        .get(entry_key(1))
        .expect("get")
        .expect("entry")
        .to_vec();
    raw[0] = 9;
    j.tree().insert(entry_key(1), raw).expect("insert");
    let err = j.unacked(j.epoch(), 0, 10).expect_err("bad version");
    assert!(
        err.to_string().contains("value has format 9, expected 2"),
        "{err}"
    );
    j.tree().insert(entry_key(1), &[][..]).expect("insert");
    let err = j.unacked(j.epoch(), 0, 10).expect_err("empty");
    assert!(err.to_string().contains("empty value"), "{err}");
}

#[test]
fn entry_under_the_wrong_key_or_missing_is_detected() {
    let (_dir, j) = journal();
    j.record(pick("S1")).expect("record");
    j.record(pick("S2")).expect("record");
    j.record(pick("S3")).expect("record");
    let one = j.tree().get(entry_key(1)).expect("get").expect("entry");
    j.tree().insert(entry_key(2), one).expect("insert");
    let err = j.unacked(j.epoch(), 0, 10).expect_err("wrong seq");
    assert!(err.to_string().contains("holds seq 1 under key 2"), "{err}");
    j.tree().remove(entry_key(2)).expect("remove");
    let err = j.unacked(j.epoch(), 0, 10).expect_err("gap");
    assert!(
        matches!(err, JournalError::CorruptEntry { seq: 2, .. }),
        "{err}"
    );
    j.tree().remove(entry_key(3)).expect("remove");
    let err = j.unacked(j.epoch(), 0, 10).expect_err("tail missing");
    assert!(
        matches!(err, JournalError::CorruptEntry { seq: 2, .. }),
        "{err}"
    );
}

#[test]
fn corrupted_metadata_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        j.record(pick("S1")).expect("record");
        j.tree().insert(META_NEXT_SEQ, &b"xyz"[..]).expect("insert");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("bad meta");
    assert!(
        err.to_string().contains("next_seq: value of 3 bytes"),
        "{err}"
    );
}

#[test]
fn entry_beyond_next_seq_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        j.record(pick("S1")).expect("record");
        let raw = j.tree().get(entry_key(1)).expect("get").expect("entry");
        j.tree().insert(entry_key(7), raw).expect("insert");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("entry beyond next_seq");
    assert!(
        err.to_string().contains("entry 7 is beyond next_seq 2"),
        "{err}"
    );
}

#[test]
fn a_flipped_bit_in_any_entry_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        for sku in ["S1", "S2", "S3"] {
            j.record(pick(sku)).expect("record");
        }
        let mut raw = j
            .tree()
            .get(entry_key(2))
            .expect("get")
            .expect("entry")
            .to_vec();
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        j.tree().insert(entry_key(2), raw).expect("insert");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("flipped bit");
    let text = err.to_string();
    assert!(
        text.contains("journal entry 2 is corrupt: checksum mismatch"),
        "{text}"
    );
}

#[test]
fn a_journal_shorter_than_its_seal_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        for sku in ["S1", "S2", "S3"] {
            j.record(pick(sku)).expect("record");
        }
        // What sled does with a truncated log: an older, consistent journal.
        let mut batch = sled::Batch::default();
        batch.remove(&entry_key(3));
        batch.insert(META_NEXT_SEQ, encode_meta(3));
        j.tree().apply_batch(batch).expect("batch");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("lost tail");
    assert!(
        matches!(
            err,
            JournalError::LostTail {
                last_seq: 2,
                confirmed: 3
            }
        ),
        "{err}"
    );
}

#[test]
fn a_reopen_drops_the_refused_entry_and_keeps_the_acks() {
    let (_dir, j) = journal();
    for sku in ["S1", "S2", "S3"] {
        j.record(pick(sku)).expect("record");
    }
    j.ack(j.epoch(), 1).expect("ack");
    // A refused scan whose write reached the disk although its flush failed.
    let mut batch = sled::Batch::default();
    batch.insert(
        &entry_key(4),
        encode_entry(&pick("S4").into_movement(4)).expect("encode"),
    );
    batch.insert(META_NEXT_SEQ, encode_meta(5));
    j.tree().apply_batch(batch).expect("batch");
    j.inner.broken.store(true, Ordering::Release);
    assert_eq!(j.record(pick("S5")).expect("record after reopen"), 4);
    let stored: Vec<(u64, String)> = j
        .unacked(j.epoch(), 0, 10)
        .expect("read")
        .into_iter()
        .map(|m| (m.seq, m.sku))
        .collect();
    assert_eq!(
        stored,
        vec![(2, "S2".into()), (3, "S3".into()), (4, "S5".into())]
    );
}

#[test]
fn a_journal_that_recorded_without_an_epoch_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        j.record(pick("S1")).expect("record");
        j.tree().remove(entry::META_EPOCH).expect("remove");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("no epoch");
    assert!(err.to_string().contains("no epoch"), "{err}");
}

#[test]
fn a_stored_epoch_of_zero_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        j.tree()
            .insert(entry::META_EPOCH, encode_meta(0))
            .expect("insert");
        j.flush().expect("flush");
    }
    let err = Journal::open(dir.path()).expect_err("epoch 0");
    assert!(err.to_string().contains("epoch is 0"), "{err}");
}
