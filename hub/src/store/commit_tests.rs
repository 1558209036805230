//! Writes and flushes apart: one flush covers every write before it, the
//! seal's mark follows only what a flush made durable, and a store caught
//! between a write and its flush (copied as a kill would leave it) opens
//! and holds every flushed group.

use super::*;
use crate::pool::Pool;
use protocol::EventBatch;
use std::path::Path;

fn batch(seqs: std::ops::RangeInclusive<u64>) -> EventBatch {
    crate::store::test_batch::batch("d1", 5, seqs)
}

/// Applies `seqs` to the pool and writes the group (no flush).
fn write(store: &Store, pool: &mut Pool, seqs: std::ops::RangeInclusive<u64>) -> u64 {
    pool.apply_batch(&batch(seqs), 1, store);
    store.write(&pool.take_changes()).expect("write")
}

/// Copies the store's files as they are now, as a SIGKILL would leave
/// them (sled's unflushed buffers are not in them).
fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_files(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Opens a copy of `dir`; returns d1's watermark and the commit count.
fn open_copy(dir: &Path, copy: &Path) -> (u64, u64) {
    copy_files(dir, copy);
    let store = Store::open(copy).expect("a store caught between write and flush opens");
    let watermark = store.load_pool().expect("load").watermark("d1", 5);
    (watermark, store.start_check().commits)
}

#[test]
fn one_flush_covers_every_write_before_it_and_the_seal_follows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let mut pool = store.load_pool().expect("load");
    let start = store.durable_commits();
    let first = write(&store, &mut pool, 1..=3);
    let second = write(&store, &mut pool, 4..=6);
    assert_eq!((first, second), (start + 1, start + 2));
    assert_eq!(store.written_commits(), second);
    assert_eq!(store.durable_commits(), start, "written is not durable");
    assert_eq!(
        store.seal.keeper.mark(),
        start,
        "the seal claims nothing unflushed"
    );

    let syncs = store.seal.keeper.data_syncs();
    assert_eq!(store.flush_through(first).expect("flush"), second);
    assert_eq!(store.seal.keeper.mark(), second);
    assert_eq!(store.seal.keeper.data_syncs(), syncs + 1);
    // Already covered: no second flush.
    assert_eq!(store.flush_through(second).expect("flush"), second);
    assert_eq!(store.seal.keeper.data_syncs(), syncs + 1);
}

#[test]
fn a_store_caught_between_write_and_flush_opens_with_every_flushed_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = dir.path().join("live");
    let store = Store::open(&live).expect("open");
    let mut pool = store.load_pool().expect("load");
    let flushed = write(&store, &mut pool, 1..=3);
    store.flush_through(flushed).expect("flush");
    let unflushed = write(&store, &mut pool, 4..=6);

    let (watermark, commits) = open_copy(&live, &dir.path().join("mid"));
    assert!(
        watermark == 3 && commits == flushed || watermark == 6 && commits == unflushed,
        "a prefix of the writes, at least every flushed one: watermark {watermark}, \
         {commits} commits"
    );

    store.flush_through(unflushed).expect("flush");
    let (watermark, commits) = open_copy(&live, &dir.path().join("after"));
    assert_eq!((watermark, commits), (6, unflushed));
}
