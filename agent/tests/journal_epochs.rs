//! The journal's epoch through its public API: drawn once when a journal
//! is created, kept across reopens, new for a new or wiped directory, and
//! what a journal does when its directory is deleted under it (refuses the
//! scan it cannot keep, then carries on in a new journal and epoch).

use agent::{Journal, JournalError, MovementDraft};
use protocol::MovementKind;

fn pick(sku: &str) -> MovementDraft {
    MovementDraft::new(MovementKind::Pick, sku, "A-01", 1)
}

fn seqs(j: &Journal) -> Vec<(u64, String)> {
    j.unacked(j.epoch(), 0, 1000)
        .expect("read")
        .into_iter()
        .map(|m| (m.seq, m.sku))
        .collect()
}

#[test]
fn a_journal_keeps_its_epoch_and_a_new_one_draws_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let epoch = {
        let j = Journal::open(dir.path()).expect("open");
        assert_ne!(j.epoch(), 0);
        j.record(pick("S1")).expect("record");
        j.epoch()
    };
    // A clean close and a reopen keep it (so does a crash: it is synced
    // at creation; tests/tests/power_cut.rs cuts the power under it).
    let j = Journal::open(dir.path()).expect("reopen");
    assert_eq!(j.epoch(), epoch);
    drop(j);
    // A new directory is a new journal: another epoch, seqs from 1.
    let other = tempfile::tempdir().expect("tempdir");
    let fresh = Journal::open(other.path()).expect("open fresh");
    assert_ne!(fresh.epoch(), epoch);
    assert_eq!(fresh.record(pick("S1")).expect("record"), 1);
    // A wiped directory likewise.
    std::fs::remove_dir_all(dir.path()).expect("wipe");
    let wiped = Journal::open(dir.path()).expect("open wiped");
    assert_ne!(wiped.epoch(), epoch);
    assert_eq!(wiped.last_seq(), 0);
}

#[test]
fn journals_in_a_shared_database_have_their_own_epochs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::open(dir.path()).expect("sled");
    let a = Journal::open_in(&db, "dev-a").expect("a");
    let b = Journal::open_in(&db, "dev-b").expect("b");
    assert_ne!(a.epoch(), b.epoch());
    assert_eq!(
        Journal::open_in(&db, "dev-a").expect("a").epoch(),
        a.epoch()
    );
}

#[test]
fn acks_and_reads_for_another_epoch_touch_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    for sku in ["S1", "S2", "S3"] {
        j.record(pick(sku)).expect("record");
    }
    let other = j.epoch().wrapping_add(1);
    let err = j.ack(other, 3).expect_err("another epoch's ack");
    assert!(matches!(err, JournalError::EpochChanged { .. }), "{err}");
    assert!(j.unacked(other, 0, 10).is_err());
    assert_eq!((j.acked(), seqs(&j).len()), (0, 3));
    assert_eq!(j.ack(j.epoch(), 2).expect("own ack"), 2);
}

/// Deletes the directory under the open journal (as `rm -rf` would), or
/// only the files in it.
fn wipe_under(dir: &std::path::Path, keep_dir: bool) {
    if keep_dir {
        for entry in std::fs::read_dir(dir).expect("list") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path).expect("rm dir");
            } else {
                std::fs::remove_file(&path).expect("rm");
            }
        }
    } else {
        std::fs::remove_dir_all(dir).expect("rm -rf");
    }
}

#[test]
fn a_directory_deleted_under_the_journal_is_noticed_at_the_next_scan() {
    for keep_dir in [false, true] {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("journal");
        let j = Journal::open(&dir).expect("open");
        j.record(pick("OLD-1")).expect("record");
        j.record(pick("OLD-2")).expect("record");
        let old = j.epoch();
        wipe_under(&dir, keep_dir);
        // The scan would go to files no restart sees: refused, not confirmed.
        let err = j
            .record(pick("LOST"))
            .expect_err("scan into unlinked files");
        assert!(
            matches!(err, JournalError::Replaced { .. }),
            "keep_dir {keep_dir}: {err}"
        );
        assert!(err.to_string().contains("scan it again"), "{err}");
        // The next scan opens the journal now at the path: new, new epoch.
        assert_eq!(
            j.record(pick("NEW-1")).expect("next scan"),
            1,
            "keep_dir {keep_dir}"
        );
        assert_ne!(j.epoch(), old);
        // An ack of the old epoch arriving now trims nothing of the new one.
        assert!(j.ack(old, 2).is_err());
        assert_eq!((j.acked(), j.last_seq()), (0, 1));
        assert_eq!(seqs(&j), vec![(1, "NEW-1".to_string())]);
        drop(j);
        // And it is that journal a restart finds.
        let again = Journal::open(&dir).expect("reopen");
        assert_eq!(seqs(&again), vec![(1, "NEW-1".to_string())]);
    }
}
