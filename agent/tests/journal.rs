//! The journal's promises through its public API: durable numbering across
//! restarts, refusal of invalid drafts with nothing written, monotone acks,
//! and per-device journals in a shared database.

use agent::{Journal, JournalError, MovementDraft};
use protocol::MovementKind;

fn pick(sku: &str, qty: i64) -> MovementDraft {
    MovementDraft::new(MovementKind::Pick, sku, "A-01", qty)
}

fn skus(journal: &Journal) -> Vec<(u64, String)> {
    let entries = journal
        .unacked(journal.epoch(), 0, 1000)
        .expect("readable journal");
    entries.into_iter().map(|m| (m.seq, m.sku)).collect()
}

#[test]
fn sequence_starts_at_one_and_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        assert_eq!((j.last_seq(), j.acked(), j.backlog()), (0, 0, 0));
        for (i, sku) in ["S1", "S2", "S3", "S4"].iter().enumerate() {
            assert_eq!(j.record(pick(sku, 1)).expect("record"), i as u64 + 1);
        }
        assert_eq!(j.ack(j.epoch(), 2).expect("ack"), 2);
    }
    let j = Journal::open(dir.path()).expect("reopen");
    assert_eq!((j.last_seq(), j.acked(), j.backlog()), (4, 2, 2));
    assert_eq!(skus(&j), vec![(3, "S3".into()), (4, "S4".into())]);
    assert_eq!(j.record(pick("S5", 1)).expect("record"), 5);
}

#[test]
fn sequence_keeps_increasing_after_everything_was_trimmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let j = Journal::open(dir.path()).expect("open");
        j.record(pick("S1", 1)).expect("record");
        j.record(pick("S2", 1)).expect("record");
        j.ack(j.epoch(), 2).expect("ack");
        assert_eq!(j.backlog(), 0);
        assert!(skus(&j).is_empty());
        j.flush().expect("flush");
    }
    let j = Journal::open(dir.path()).expect("reopen");
    assert_eq!(j.record(pick("S3", 1)).expect("record"), 3);
    assert_eq!(skus(&j), vec![(3, "S3".into())]);
}

#[test]
fn recorded_entries_keep_every_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    let draft = MovementDraft {
        kind: MovementKind::Move,
        sku: "SKU-9".into(),
        location: "A-01".into(),
        to_location: Some("B-07".into()),
        lot: Some("L42".into()),
        quantity: 12,
        device_time_ms: 1_700_000_000_123,
        task: Some("T-3".into()),
    };
    let seq = j.record(draft.clone()).expect("record");
    let stored = j.unacked(j.epoch(), 0, 10).expect("read");
    assert_eq!(stored, vec![draft.into_movement(seq)]);
}

#[test]
fn invalid_draft_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    j.record(pick("S1", 1)).expect("record");
    let bad = [
        pick("S2", 0),
        pick("S 2", 1),
        pick("", 1),
        pick("S/2", 1),
        MovementDraft::new(MovementKind::Move, "S2", "A-01", 1),
        MovementDraft::new(MovementKind::Count, "S2", "A-01", -1),
        MovementDraft::new(MovementKind::Adjust, "S2", "A-01", i64::MIN),
    ];
    for draft in bad {
        let err = j.record(draft.clone()).expect_err("invalid draft accepted");
        assert!(matches!(err, JournalError::Invalid(_)), "{draft:?}: {err}");
    }
    assert_eq!(j.last_seq(), 1);
    assert_eq!(skus(&j), vec![(1, "S1".into())]);
    drop(j);
    let j = Journal::open(dir.path()).expect("reopen");
    assert_eq!(j.record(pick("S2", 1)).expect("record"), 2);
}

#[test]
fn ack_is_monotone_and_clamped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    for i in 0..5 {
        j.record(pick(&format!("S{i}"), 1)).expect("record");
    }
    assert_eq!(j.ack(j.epoch(), 3).expect("ack"), 3);
    assert_eq!(
        j.ack(j.epoch(), 1).expect("lower ack"),
        3,
        "a lower ack is ignored"
    );
    assert_eq!(j.ack(j.epoch(), 3).expect("same ack"), 3);
    assert_eq!(j.acked(), 3);
    assert_eq!(
        j.ack(j.epoch(), 99).expect("ack beyond"),
        5,
        "clamped to the last entry"
    );
    assert_eq!(j.backlog(), 0);
    drop(j);
    let j = Journal::open(dir.path()).expect("reopen");
    assert_eq!(j.acked(), 5);
    assert_eq!(j.ack(j.epoch(), 2).expect("lower after reopen"), 5);
}

#[test]
fn unacked_pages_in_sequence_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    for i in 1..=10 {
        j.record(pick(&format!("S{i}"), 1)).expect("record");
    }
    j.ack(j.epoch(), 2).expect("ack");
    let seqs = |after, limit| -> Vec<u64> {
        j.unacked(j.epoch(), after, limit)
            .expect("read")
            .iter()
            .map(|m| m.seq)
            .collect()
    };
    assert_eq!(seqs(0, 3), vec![3, 4, 5]);
    assert_eq!(seqs(5, 3), vec![6, 7, 8]);
    assert_eq!(seqs(8, 100), vec![9, 10]);
    assert_eq!(seqs(10, 100), Vec::<u64>::new());
    assert_eq!(seqs(0, 0), Vec::<u64>::new());
}

#[test]
fn devices_in_one_database_have_their_own_journals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = sled::open(dir.path()).expect("sled");
    let a = Journal::open_in(&db, "dev-a").expect("a");
    let b = Journal::open_in(&db, "dev-b").expect("b");
    assert_eq!(a.record(pick("SA", 1)).expect("a1"), 1);
    assert_eq!(a.record(pick("SA", 1)).expect("a2"), 2);
    assert_eq!(b.record(pick("SB", 1)).expect("b1"), 1);
    a.ack(a.epoch(), 2).expect("ack a");
    assert_eq!((a.backlog(), b.backlog()), (0, 1));
    assert!(Journal::open_in(&db, "dev/x").is_err());
    drop((a, b));
    let a = Journal::open_in(&db, "dev-a").expect("a again");
    assert_eq!(a.record(pick("SA", 1)).expect("a3"), 3);
}

#[test]
fn concurrent_records_get_unique_contiguous_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = Journal::open(dir.path()).expect("open");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let j = j.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| j.record(pick(&format!("T{t}-{i}"), 1)).expect("record"))
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=100).collect::<Vec<u64>>());
    let stored: Vec<u64> = j
        .unacked(j.epoch(), 0, 1000)
        .expect("read")
        .iter()
        .map(|m| m.seq)
        .collect();
    assert_eq!(stored, all);
}
