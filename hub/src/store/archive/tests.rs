//! The archive against a real sled store in a temporary directory: what
//! moves, what reads see, what a restart finds, and what a crash between
//! the steps or a damaged segment does.

use super::step::{marker, ARCHIVED_THROUGH};
use super::*;
use crate::pool::{AppliedLog, BatchOutcome, EventRecord, Pool};
use crate::store::codec::encode_i64;
use crate::store::Store;
use protocol::EventBatch;

const POLICY: ArchivePolicy = ArchivePolicy {
    keep: 5,
    segment: 4,
};

/// The store tests' batch ([`crate::store::test_batch`]) over three SKUs,
/// each movement's quantity its seq, so checkpoints differ by entry.
fn batch(device: &str, epoch: u64, seqs: std::ops::RangeInclusive<u64>) -> EventBatch {
    let mut batch = crate::store::test_batch::batch(device, epoch, seqs);
    for m in &mut batch.movements {
        m.sku = format!("S{}", m.seq % 3);
        m.quantity = m.seq as i64;
    }
    batch
}

/// 24 log entries: three devices (one with two epochs), one to three
/// movements each, committed one group per entry.
fn fill(store: &Store) -> Pool {
    let mut pool = store.load_pool().expect("load");
    let mut next = std::collections::HashMap::new();
    for round in 0..8u64 {
        for (device, epoch) in [("d1", 1), ("d2", 7), ("d1", 2)] {
            let first: &mut u64 = next.entry((device, epoch)).or_insert(1);
            let len = 1 + (round % 3);
            let b = batch(device, epoch, *first..=*first + len - 1);
            *first += len;
            let outcome = pool.apply_batch(&b, 1, store);
            assert!(
                matches!(outcome, BatchOutcome::Applied { .. }),
                "{outcome:?}"
            );
            store.commit(&pool.take_changes()).expect("commit");
        }
    }
    pool
}

/// Opens the store in `dir` again, once sled's last handle of the closed
/// one let go of its lock (its I/O threads end after the drop).
fn reopen(dir: &Path) -> Result<Store, StoreError> {
    assert!(
        storeseal::wait_released(dir, std::time::Duration::from_secs(10)),
        "sled kept its lock"
    );
    Store::open(dir)
}

fn all_events(store: &Store) -> Vec<(u64, EventRecord)> {
    store.events().map(|e| e.expect("event")).collect()
}

fn sled_entries(store: &Store) -> usize {
    store.tree.scan_prefix([b'e']).count()
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(ARCHIVE_DIR))
        .expect("archive dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn old_entries_move_to_segments_and_every_reader_still_sees_the_whole_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let pool = fill(&store);
    let before = all_events(&store);
    assert_eq!(before.len(), 24);
    let mut steps = Vec::new();
    while let Some(step) = store.archive_step(POLICY).expect("archive") {
        steps.push(step);
    }
    // 24 entries, keep 5, segments of 4: 1-4, 5-8, 9-12, 13-16 (19 left
    // would need 24 - 16 = 8 < 9 for the next).
    assert_eq!(steps.len(), 4);
    assert_eq!(store.archived_through(), 16);
    assert_eq!(sled_entries(&store), 8);
    assert_eq!(segment_files(dir.path()).len(), 4);
    assert_eq!(
        all_events(&store),
        before,
        "archive + sled read back as the log"
    );
    assert_eq!(
        store.events_from(11).count(),
        14,
        "a read from inside a segment"
    );
    // Every stream's applied movements, across both places, as before.
    for (device, epoch) in [("d1", 1), ("d2", 7), ("d1", 2)] {
        let stream = DeviceEpoch {
            device: device.into(),
            epoch,
        };
        let log: Vec<EventRecord> = before.iter().map(|(_, e)| e.clone()).collect();
        let watermark = pool.watermark(device, epoch);
        assert!(watermark >= 8, "{device}/{epoch}: {watermark}");
        for from in 1..=watermark {
            for through in from..=watermark {
                assert_eq!(
                    AppliedLog::applied(&store, &stream, from, through),
                    log.applied(&stream, from, through),
                    "{device}/{epoch} {from}..={through}"
                );
            }
        }
    }
    drop((pool, store)); // the pool reads final orders through a store handle
    let store = reopen(dir.path()).expect("reopen");
    let check = store.start_check();
    assert_eq!((check.events, check.stock_differences.len()), (24, 0));
    let movements: usize = before.iter().map(|(_, e)| e.movements.len()).sum();
    assert_eq!(check.movements, movements as u64);
    assert_eq!(all_events(&store), before);
}

#[test]
fn a_resend_of_archived_scans_is_a_duplicate_and_a_changed_one_a_conflict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut pool = fill(&store);
    while store.archive_step(POLICY).expect("archive").is_some() {}
    let outcome = pool.apply_batch(&batch("d2", 7, 1..=3), 2, &store);
    assert_eq!(outcome, BatchOutcome::Duplicate { through: 3 });
    let mut changed = batch("d2", 7, 1..=3);
    changed.movements[1].quantity += 1;
    let outcome = pool.apply_batch(&changed, 2, &store);
    assert!(
        matches!(outcome, BatchOutcome::Conflict { seq: 2, .. }),
        "{outcome:?}"
    );
}

#[test]
fn a_crash_between_the_steps_loses_nothing_and_the_next_open_finishes_the_move() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    fill(&store);
    let before = all_events(&store);
    // Step 1 only: a segment past the marker.
    let name = SegmentName { first: 1, last: 4 };
    store.write_segment(&name).expect("segment");
    drop(store);
    let store = reopen(dir.path()).expect("reopen after step 1");
    assert!(
        segment_files(dir.path()).is_empty(),
        "the stray segment is gone"
    );
    assert_eq!((store.archived_through(), sled_entries(&store)), (0, 24));
    assert_eq!(all_events(&store), before);
    // Steps 1 and 2: the marker says archived, the entries are still here.
    store.write_segment(&name).expect("segment");
    store
        .tree
        .insert(ARCHIVED_THROUGH, encode_i64(4))
        .expect("marker");
    store.db.flush().expect("flush");
    drop(store);
    let store = reopen(dir.path()).expect("reopen after step 2");
    assert_eq!((store.archived_through(), sled_entries(&store)), (4, 20));
    assert_eq!(marker(&store.tree).expect("marker"), 4);
    assert_eq!(all_events(&store), before);
    assert_eq!(store.start_check().stock_differences.len(), 0);
    while store.archive_step(POLICY).expect("archive").is_some() {}
    assert_eq!(store.archived_through(), 16);
    assert_eq!(all_events(&store), before);
}

/// A store archived through 16, closed; `damage` then applied to its
/// directory, and the store opened again.
fn reopened_after(damage: impl FnOnce(&Path)) -> Result<Store, StoreError> {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        fill(&store);
        while store.archive_step(POLICY).expect("archive").is_some() {}
    }
    damage(&dir.path().join(ARCHIVE_DIR));
    let store = reopen(dir.path());
    // Read the whole log too: damage inside an old segment shows there.
    store.and_then(|s| {
        s.events().collect::<Result<Vec<_>, _>>()?;
        Ok(s)
    })
}

fn segment(dir: &Path, n: u64) -> PathBuf {
    let name = SegmentName {
        first: n * 4 + 1,
        last: n * 4 + 4,
    };
    dir.join(name.file_name())
}

fn flip(path: &Path, at_from_end: Option<u64>) {
    let mut bytes = std::fs::read(path).expect("read");
    let at = match at_from_end {
        Some(back) => bytes.len() - back as usize,
        None => 20,
    };
    bytes[at] ^= 0x40;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_missing_or_damaged_segment_is_refused_with_the_file_named() {
    assert!(reopened_after(|_| {}).is_ok());
    let refusals = [
        reopened_after(|d| std::fs::remove_file(segment(d, 1)).expect("rm")),
        reopened_after(|d| std::fs::remove_file(segment(d, 3)).expect("rm")),
        reopened_after(|d| flip(&segment(d, 0), None)),
        reopened_after(|d| flip(&segment(d, 3), Some(60))),
        reopened_after(|d| flip(&segment(d, 3), Some(3))),
        reopened_after(|d| std::fs::write(d.join("notes.txt"), "x").expect("write")),
    ];
    for (i, refused) in refusals.into_iter().enumerate() {
        match refused {
            Err(StoreError::Inconsistent(problem)) => {
                assert!(problem.contains("segment"), "case {i}: {problem}")
            }
            Err(StoreError::Damaged { key, problem }) => {
                assert!(key.contains(ARCHIVE_DIR), "case {i}: {key}: {problem}")
            }
            Err(e) => panic!("case {i}: refused for another reason: {e}"),
            Ok(_) => panic!("case {i}: a damaged archive was not refused"),
        }
    }
}

#[test]
fn nothing_is_archived_while_the_store_holds_no_more_than_it_keeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    fill(&store);
    let keep_all = ArchivePolicy {
        keep: 21,
        segment: 4,
    };
    assert_eq!(store.archive_step(keep_all).expect("step"), None);
    assert_eq!(sled_entries(&store), 24);
    let one = store.archive_step(ArchivePolicy {
        keep: 20,
        ..keep_all
    });
    assert_eq!(one.expect("step"), Some(Archived { first: 1, last: 4 }));
}

#[test]
fn the_audit_replays_the_whole_archive_and_names_a_segment_whose_checkpoint_lies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    fill(&store);
    while store.archive_step(POLICY).expect("archive").is_some() {}
    assert_eq!(store.audit_archive().expect("audit"), 16);
    // Segment 2 rewritten whole, with good CRCs, but one unit more of stock
    // in its checkpoint than its entries and those before replay to.
    let name = SegmentName { first: 5, last: 8 };
    let path = dir.path().join(ARCHIVE_DIR).join(name.file_name());
    let mut old = Segment::open(path.clone(), name.clone()).expect("segment");
    let (mut checkpoint, streams) = (old.checkpoint().expect("cp"), old.streams().expect("st"));
    old.rewind().expect("rewind");
    let events: Vec<EventRecord> = (5..=8)
        .map(|id| old.next_entry(id).expect("entry").expect("there"))
        .collect();
    checkpoint.stock[0].1 += 1;
    let temp = dir.path().join("rewritten");
    let mut out = segment::SegmentWriter::create(temp.clone(), name.clone()).expect("create");
    for (id, event) in (5..).zip(&events) {
        out.entry(id, event).expect("entry");
    }
    out.finish(&checkpoint, &streams).expect("finish");
    std::fs::rename(&temp, &path).expect("replace");
    let err = store.audit_archive().expect_err("a lying checkpoint");
    assert!(err.to_string().contains(&name.file_name()), "{err}");
}

#[test]
fn an_archive_beside_a_store_it_does_not_belong_to_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        fill(&store);
        while store.archive_step(POLICY).expect("archive").is_some() {}
        assert_eq!(store.archived_through(), 16);
    }
    let segments = || list(&dir.path().join(ARCHIVE_DIR)).expect("list").len();
    assert_eq!(segments(), 4);
    // An empty store (marker 0) beside it, as a store lost mid-swap would
    // be recreated: the segments are not its crash leftovers.
    let refused = Archive::open(dir.path(), 0).expect_err("refused");
    assert!(refused.to_string().contains("does not belong"), "{refused}");
    assert_eq!(segments(), 4, "nothing deleted");
}
