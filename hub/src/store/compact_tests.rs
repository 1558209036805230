//! Compaction against real sled stores in temporary directories: the copy
//! holds every record and the seal's mark, the data file shrinks, and a
//! crash at any step leaves a store that opens whole.

use super::*;
use crate::pool::{BatchOutcome, Pool};
use crate::store::test_batch::batch;
use std::collections::BTreeMap;

/// `groups` group commits of two devices' batches, each in its own
/// group, as the writer commits them; dead letters pile up beside them.
fn fill(store: &Store, groups: u64) -> Pool {
    let mut pool = store.load_pool().expect("load");
    for g in 0..groups {
        for device in ["d1", "d2"] {
            let outcome = pool.apply_batch(&batch(device, 1, 1 + g * 20..=20 + g * 20), 1, store);
            assert!(
                matches!(outcome, BatchOutcome::Applied { .. }),
                "{outcome:?}"
            );
        }
        store.commit(&pool.take_changes()).expect("commit");
    }
    pool
}

/// Every record of every tree.
fn contents(dir: &Path) -> BTreeMap<(Vec<u8>, Vec<u8>), Vec<u8>> {
    let store = open(dir);
    let mut out = BTreeMap::new();
    for name in store.db.tree_names() {
        let tree = store.db.open_tree(&name).expect("tree");
        for item in tree.iter() {
            let (k, v) = item.expect("read");
            out.insert((name.to_vec(), k.to_vec()), v.to_vec());
        }
    }
    out
}

fn open(dir: &Path) -> Store {
    assert!(
        storeseal::wait_released(dir, Duration::from_secs(10)),
        "sled kept its lock"
    );
    Store::open(dir).expect("open")
}

fn released(dir: &Path) {
    assert!(
        storeseal::wait_released(dir, Duration::from_secs(10)),
        "sled kept its lock"
    );
}

/// A store with a grown data file, closed.
fn grown_store(dir: &Path) {
    let store = Store::open(dir).expect("open");
    let pool = fill(&store, 300);
    // Rewrites that leave sled's file larger than its records.
    for round in 0..20u64 {
        for i in 0..500u64 {
            let key = [&b"Z"[..], &i.to_be_bytes()].concat();
            store
                .tree
                .insert(key, vec![round as u8; 400])
                .expect("insert");
        }
        store.db.flush().expect("flush");
    }
    for i in 0..500u64 {
        store
            .tree
            .remove([&b"Z"[..], &i.to_be_bytes()].concat())
            .expect("remove");
    }
    store.db.flush().expect("flush");
    drop(pool);
    drop(store);
    released(dir);
}

#[test]
fn a_compacted_store_holds_every_record_and_its_mark_in_a_smaller_file() {
    let dir = tempfile::tempdir().expect("dir");
    grown_store(dir.path());
    let before = contents(dir.path());
    let mark = {
        let store = open(dir.path());
        store.seal.keeper.mark()
    };
    released(dir.path());
    let done = compact(dir.path()).expect("compact");
    assert!(done.after < done.before, "{done:?}");
    assert_eq!(done.records, before.len() as u64);
    assert_eq!(contents(dir.path()), before);
    released(dir.path());
    let store = open(dir.path());
    assert_eq!(store.seal.keeper.mark(), mark);
    assert_eq!(store.start_check().commits, mark);
    assert_eq!(
        record(dir.path()),
        Record {
            count: 1,
            size: done.after
        }
    );
    for leftover in [NEW_DIR, OLD_DIR, STATE_FILE] {
        assert!(!dir.path().join(leftover).exists(), "{leftover} left");
    }
}

#[test]
fn a_crash_at_any_step_leaves_a_store_that_opens_whole() {
    for step in ["copied", "ready", "half-moved", "moved", "half-in"] {
        let dir = tempfile::tempdir().expect("dir");
        grown_store(dir.path());
        let before = contents(dir.path());
        released(dir.path());
        let d = dir.path();
        let new = d.join(NEW_DIR);
        copy_store(d, &new).expect("copy");
        if step != "copied" {
            write_state(d, "ready").expect("state");
        }
        if step == "half-moved" || step == "moved" || step == "half-in" {
            std::fs::create_dir_all(d.join(OLD_DIR)).expect("old");
            let files = store_files(d).expect("files");
            let upto = if step == "half-moved" { 2 } else { files.len() };
            for name in &files[..upto] {
                std::fs::rename(d.join(name), d.join(OLD_DIR).join(name)).expect("move");
            }
            if step != "half-moved" {
                write_state(d, "moved").expect("state");
            }
        }
        if step == "half-in" {
            let name = &store_files(&new).expect("files")[0];
            std::fs::rename(new.join(name), d.join(name)).expect("move");
        }
        // The next start: finish or undo, then open with every check.
        compact_if_due(
            d,
            CompactPolicy {
                limit: 0,
                quiet: None,
            },
        )
        .expect("finish");
        assert_eq!(contents(d), before, "after a crash at {step}");
        for leftover in [NEW_DIR, OLD_DIR, STATE_FILE] {
            assert!(!d.join(leftover).exists(), "{leftover} left after {step}");
        }
    }
}

#[test]
fn compaction_is_due_past_the_limit_or_twice_what_the_last_left() {
    let dir = tempfile::tempdir().expect("dir");
    grown_store(dir.path());
    let size = data_file_bytes(dir.path());
    assert!(size > 0);
    let never = CompactPolicy {
        limit: 0,
        quiet: None,
    };
    assert_eq!(compact_if_due(dir.path(), never).expect("no"), None);
    let high = CompactPolicy {
        limit: size,
        quiet: None,
    };
    assert_eq!(compact_if_due(dir.path(), high).expect("no"), None);
    let low = CompactPolicy {
        limit: size / 2,
        quiet: None,
    };
    let done = compact_if_due(dir.path(), low)
        .expect("yes")
        .expect("compacted");
    assert_eq!(
        limit(
            dir.path(),
            CompactPolicy {
                limit: 1,
                quiet: None
            }
        ),
        Some(2 * done.after)
    );
    released(dir.path());
    let again = CompactPolicy {
        limit: 1,
        quiet: None,
    };
    assert_eq!(
        compact_if_due(dir.path(), again).expect("no"),
        None,
        "a store no bigger than twice what the last compaction left is not copied again"
    );
}

#[test]
fn an_unknown_state_or_a_damaged_record_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join(STATE_FILE), "halfway\n").expect("write");
    let err = compact_if_due(dir.path(), CompactPolicy::default()).expect_err("refused");
    assert!(
        err.to_string().contains("unknown compaction state"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join(STATE_FILE)).expect("rm");
    std::fs::write(dir.path().join(RECORD_FILE), "x y\n").expect("write");
    assert_eq!(record(dir.path()), Record::default());
}

#[test]
fn a_running_hub_compacts_past_its_limit_or_past_half_of_it_in_the_quiet_hour() {
    const MIN: u64 = 60_000;
    // 03:00 site time at UTC+8 is 19:00 UTC.
    let quiet = Some(QuietHour {
        minute_of_day: 3 * 60,
        offset_minutes: 8 * 60,
    });
    let day = 20_000 * 24 * 60 * MIN;
    let at = |h: u64, m: u64| day + (h * 60 + m) * MIN;
    let limit = Some(1_000);
    assert_eq!(due_now(1_001, limit, None, at(12, 0)), Some(Due::PastLimit));
    assert_eq!(due_now(600, limit, quiet, at(12, 0)), None, "mid-shift");
    assert_eq!(due_now(600, limit, quiet, at(19, 0)), Some(Due::QuietHour));
    assert_eq!(due_now(600, limit, quiet, at(19, 59)), Some(Due::QuietHour));
    assert_eq!(
        due_now(600, limit, quiet, at(20, 0)),
        None,
        "the hour is over"
    );
    assert_eq!(
        due_now(500, limit, quiet, at(19, 30)),
        None,
        "not past half"
    );
    assert_eq!(due_now(u64::MAX, None, quiet, at(19, 30)), None, "never");
    // An hour across midnight: 23:30 to 00:30 site time, at UTC.
    let late = Some(QuietHour {
        minute_of_day: 23 * 60 + 30,
        offset_minutes: 0,
    });
    assert_eq!(due_now(600, limit, late, at(0, 15)), Some(Due::QuietHour));
    assert_eq!(due_now(600, limit, late, at(0, 30)), None);
}

#[test]
fn an_interrupted_compaction_is_finished_before_any_open_and_never_drops_the_store() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    grown_store(d);
    let before = contents(d);
    released(d);
    // The copy went missing after `ready` (deleted by hand, say).
    write_state(d, "ready").expect("state");
    let refused = Store::open(d).err().expect("refused");
    assert!(
        refused.to_string().contains("interrupted compaction"),
        "{refused}"
    );
    let stuck = finish_interrupted(d).expect_err("no copy to move in");
    assert!(stuck.to_string().contains("nothing was deleted"), "{stuck}");
    assert!(
        d.join("db").is_file() && d.join("wms-seal").is_file(),
        "old store in place"
    );
    std::fs::remove_file(d.join(STATE_FILE)).expect("rm");
    assert_eq!(contents(d), before);
}

#[test]
fn one_compaction_at_a_time_and_a_copy_that_fails_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    grown_store(d);
    let held = CompactLock::take(d).expect("lock");
    let busy = compact(d).expect_err("busy");
    assert!(busy.to_string().contains("another compaction"), "{busy}");
    drop(held);
    // The store open elsewhere: the copy cannot be made.
    let open = Store::open(d).expect("open");
    let size = data_file_bytes(d);
    let low = CompactPolicy {
        limit: 1,
        quiet: None,
    };
    assert_eq!(compact_if_due(d, low).expect("not fatal"), None);
    assert!(!d.join(NEW_DIR).exists());
    assert_eq!(
        record(d).size,
        size,
        "the next try waits for the file to double"
    );
    assert_eq!(limit(d, low), Some(2 * size));
    drop(open);
}

#[test]
fn a_store_says_when_its_last_handle_is_gone_and_its_seal_closed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(dir.path()).expect("open");
    let other = store.clone();
    let closed = store.closed();
    drop(store);
    assert!(!closed.is_closed(), "a handle is left");
    drop(other);
    assert!(closed.is_closed());
    released(dir.path());
    let seal = std::fs::read(dir.path().join("wms-manifest")).expect("manifest written");
    assert!(!seal.is_empty());
}
