//! Watermarks per (device, epoch) through the real sled store: they
//! survive a reopen, a resend spanning several committed groups is
//! compared with the event log through its index (duplicate when equal,
//! conflict when not). A damaged index is refused at open (unit tests in
//! `hub/src/store/applied.rs`).

use hub::pool::{BatchOutcome, Pool};
use hub::store::Store;
use protocol::{EventBatch, Movement, MovementKind};

fn movement(seq: u64, quantity: i64) -> Movement {
    Movement {
        seq,
        kind: MovementKind::Receive,
        sku: "SKU-E".into(),
        location: "A-01".into(),
        to_location: None,
        lot: None,
        quantity,
        device_time_ms: 1_000 + seq,
        task: None,
    }
}

fn batch(epoch: u64, seqs: std::ops::RangeInclusive<u64>) -> EventBatch {
    EventBatch {
        site: "s1".into(),
        device: "d1".into(),
        epoch,
        first_seq: *seqs.start(),
        movements: seqs.map(|s| movement(s, 1)).collect(),
        auth_tag: None,
    }
}

/// Applies `b` and commits it as one group.
fn commit(store: &Store, pool: &mut Pool, b: &EventBatch) -> BatchOutcome {
    let outcome = pool.apply_batch(b, 1, store);
    store.commit(&pool.take_changes()).expect("commit");
    outcome
}

#[test]
fn resends_are_compared_with_the_committed_log_of_their_epoch() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("open");
        let mut pool = store.load_pool().expect("load");
        // Epoch 5 in three groups (three log entries), then epoch 6 from 1.
        for range in [1..=3, 4..=4, 5..=9] {
            assert!(commit(&store, &mut pool, &batch(5, range))
                .ack_through()
                .is_some());
        }
        assert!(matches!(
            commit(&store, &mut pool, &batch(6, 1..=2)),
            BatchOutcome::Applied { count: 2, .. }
        ));
    }
    let store = Store::open(dir.path()).expect("reopen");
    let mut pool = store.load_pool().expect("load");
    assert_eq!((pool.watermark("d1", 5), pool.watermark("d1", 6)), (9, 2));
    // A resend across the three entries of epoch 5, read back from sled.
    assert_eq!(
        commit(&store, &mut pool, &batch(5, 2..=8)),
        BatchOutcome::Duplicate { through: 8 }
    );
    // The same seqs with other content: refused, stock unchanged.
    let mut forged = batch(5, 3..=10);
    forged.movements[2].quantity = 500;
    assert_eq!(
        commit(&store, &mut pool, &forged),
        BatchOutcome::Conflict {
            seq: 5,
            watermark: 9
        }
    );
    let stock: i64 = store
        .stock_rows(Some("SKU-E"))
        .expect("stock")
        .iter()
        .map(|r| r.on_hand)
        .sum();
    assert_eq!(stock, 11, "9 of epoch 5 and 2 of epoch 6, nothing forged");
    let alerts = store.alerts(10, None, None).expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let records = store.devices().expect("devices");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].1.conflicts, 1);
}
