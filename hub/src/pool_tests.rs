use super::*;
use proptest::prelude::*;

fn mv(seq: u64, kind: MovementKind, qty: i64, to: Option<&str>) -> Movement {
    Movement {
        seq,
        kind,
        sku: "SKU-1".into(),
        location: "A".into(),
        to_location: to.map(str::to_string),
        lot: None,
        quantity: qty,
        device_time_ms: 0,
        task: None,
    }
}

fn batch(device: &str, movements: Vec<Movement>) -> EventBatch {
    EventBatch {
        site: "s".into(),
        device: device.into(),
        first_seq: movements.first().map_or(1, |m| m.seq),
        movements,
        auth_tag: None,
    }
}

fn key(location: &str) -> StockKey {
    StockKey {
        sku: "SKU-1".into(),
        location: location.into(),
        lot: String::new(),
    }
}

#[test]
fn kinds_move_stock_as_documented() {
    let mut pool = Pool::default();
    let mut count = mv(6, MovementKind::Count, 7, None);
    count.location = "B".into();
    let b = batch(
        "d1",
        vec![
            mv(1, MovementKind::Receive, 10, None),
            mv(2, MovementKind::Move, 4, Some("B")),
            mv(3, MovementKind::Pick, 1, None),
            mv(4, MovementKind::Pack, 1, None),
            mv(5, MovementKind::Adjust, -2, None),
            count,
        ],
    );
    assert_eq!(
        pool.apply_batch(&b, 5),
        BatchOutcome::Applied {
            count: 6,
            through: 6
        }
    );
    assert_eq!(pool.on_hand(&key("A")), 10 - 4 - 1 - 2);
    assert_eq!(pool.on_hand(&key("B")), 7);
}

#[test]
fn duplicates_overlaps_and_gaps() {
    let mut pool = Pool::default();
    let first = batch(
        "d1",
        (1..=3)
            .map(|s| mv(s, MovementKind::Receive, 1, None))
            .collect(),
    );
    assert_eq!(pool.apply_batch(&first, 1).ack_through(), 3);
    assert_eq!(
        pool.apply_batch(&first, 2),
        BatchOutcome::Duplicate { through: 3 }
    );
    let overlap = batch(
        "d1",
        (2..=5)
            .map(|s| mv(s, MovementKind::Receive, 1, None))
            .collect(),
    );
    assert_eq!(
        pool.apply_batch(&overlap, 3),
        BatchOutcome::Applied {
            count: 2,
            through: 5
        }
    );
    let gap = batch("d1", vec![mv(9, MovementKind::Receive, 1, None)]);
    assert_eq!(pool.apply_batch(&gap, 4), BatchOutcome::Gap { through: 5 });
    assert_eq!(pool.on_hand(&key("A")), 5);
    let changes = pool.take_changes();
    let logged: usize = changes.events.iter().map(|(_, e)| e.movements.len()).sum();
    assert_eq!(
        (changes.events.len(), logged),
        (1, 5),
        "one device's batches in one group share a log entry"
    );
    assert_eq!(changes.devices.len(), 1);
    assert!(pool.take_changes().is_empty());
}

#[test]
fn oversold_pick_is_applied_not_dropped() {
    let mut pool = Pool::default();
    let b = batch("d1", vec![mv(1, MovementKind::Pick, 3, None)]);
    pool.apply_batch(&b, 1);
    assert_eq!(pool.on_hand(&key("A")), -3);
}

fn arb_movement() -> impl Strategy<Value = (MovementKind, i64, u8, u8)> {
    (
        proptest::sample::select(MovementKind::ALL.to_vec()),
        1i64..50,
        0u8..3,
        0u8..3,
    )
}

proptest! {
    /// Whatever the delivery order and duplication, the pool equals a replay
    /// of its own event log, and each device's movements are applied once.
    #[test]
    fn pool_equals_replay_of_log(
        scans in proptest::collection::vec(arb_movement(), 1..60),
        deliveries in proptest::collection::vec((0usize..60, 1usize..8), 1..80),
    ) {
        let movements: Vec<Movement> = scans.iter().enumerate().map(|(i, &(kind, q, loc, to))| {
            let mut m = mv(i as u64 + 1, kind, q, None);
            m.location = format!("L{loc}");
            if kind.needs_destination() {
                m.to_location = Some(format!("L{}", (loc + to % 2 + 1) % 3));
            }
            m
        }).collect();
        let mut pool = Pool::default();
        let mut log = Vec::new();
        for (start, len) in deliveries.into_iter().chain([(0, 60)]) {
            let start = start.min(movements.len() - 1);
            let end = (start + len).min(movements.len());
            let b = batch("d1", movements[start..end].to_vec());
            pool.apply_batch(&b, 0);
            log.extend(pool.take_changes().events.into_iter().map(|(_, e)| e));
        }
        prop_assert_eq!(pool.watermark("d1"), movements.len() as u64);
        let seqs: Vec<u64> = log.iter().flat_map(|e| &e.movements).map(|m| m.seq).collect();
        prop_assert_eq!(seqs, (1..=movements.len() as u64).collect::<Vec<_>>());
        prop_assert_eq!(replay(&log), pool.stock_snapshot());
    }
}
