//! The pool's batches: how movements move stock, and the per (device,
//! epoch) watermarks with duplicates, gaps and conflicts, in table tests
//! and a property test against a plain model.

use super::*;
use proptest::prelude::*;
use protocol::EventBatch;

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

/// No committed log: everything compared is in the pending group.
const NO_LOG: &Vec<EventRecord> = &Vec::new();

fn batch(device: &str, movements: Vec<Movement>) -> EventBatch {
    in_epoch(device, 1, movements)
}

fn in_epoch(device: &str, epoch: u64, movements: Vec<Movement>) -> EventBatch {
    EventBatch {
        site: "s".into(),
        device: device.into(),
        epoch,
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
        pool.apply_batch(&b, 5, NO_LOG),
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
    let receive = |s| mv(s, MovementKind::Receive, 1, None);
    let first = batch("d1", (1..=3).map(receive).collect());
    assert_eq!(pool.apply_batch(&first, 1, NO_LOG).ack_through(), Some(3));
    assert_eq!(
        pool.apply_batch(&first, 2, NO_LOG),
        BatchOutcome::Duplicate { through: 3 }
    );
    let overlap = batch("d1", (2..=5).map(receive).collect());
    assert_eq!(
        pool.apply_batch(&overlap, 3, NO_LOG),
        BatchOutcome::Applied {
            count: 2,
            through: 5
        }
    );
    // A duplicate is acknowledged through its own last seq, not beyond.
    let early = batch("d1", (1..=2).map(receive).collect());
    assert_eq!(pool.apply_batch(&early, 3, NO_LOG).ack_through(), Some(2));
    let gap = batch("d1", vec![receive(9)]);
    let outcome = pool.apply_batch(&gap, 4, NO_LOG);
    assert_eq!(outcome, BatchOutcome::Gap { watermark: 5 });
    assert_eq!(outcome.ack_through(), None, "a gap is not acknowledged");
    assert_eq!(pool.on_hand(&key("A")), 5);
    let changes = pool.take_changes();
    let logged: usize = changes.events.iter().map(|(_, e)| e.movements.len()).sum();
    assert_eq!(
        (changes.events.len(), logged),
        (1, 5),
        "one stream's batches in one group share a log entry"
    );
    assert_eq!(changes.devices.len(), 1);
    assert!(pool.take_changes().is_empty());
}

#[test]
fn a_new_epoch_is_a_new_stream_from_seq_one() {
    let mut pool = Pool::default();
    let receive = |s| mv(s, MovementKind::Receive, 1, None);
    pool.apply_batch(
        &in_epoch("d1", 7, (1..=5).map(receive).collect()),
        1,
        NO_LOG,
    );
    // The wiped device starts again at 1 in epoch 8: applied, not a duplicate.
    let fresh = in_epoch("d1", 8, (1..=2).map(receive).collect());
    assert_eq!(
        pool.apply_batch(&fresh, 2, NO_LOG),
        BatchOutcome::Applied {
            count: 2,
            through: 2
        }
    );
    // A new epoch's first batch must start at 1.
    let late = in_epoch("d1", 9, vec![receive(3)]);
    assert_eq!(
        pool.apply_batch(&late, 3, NO_LOG),
        BatchOutcome::Gap { watermark: 0 }
    );
    // An old epoch's resend is still a duplicate of that epoch.
    let resend = in_epoch("d1", 7, (4..=5).map(receive).collect());
    assert_eq!(
        pool.apply_batch(&resend, 4, NO_LOG),
        BatchOutcome::Duplicate { through: 5 }
    );
    assert_eq!((pool.watermark("d1", 7), pool.watermark("d1", 8)), (5, 2));
    assert_eq!(pool.on_hand(&key("A")), 7);
    let changes = pool.take_changes();
    assert_eq!(changes.events.len(), 2, "one log entry per stream");
    assert_eq!(changes.devices.len(), 2);
}

#[test]
fn a_conflicting_resend_is_refused_with_one_alert_pending_or_committed() {
    let mut pool = Pool::default();
    let receive = |s| mv(s, MovementKind::Receive, 1, None);
    let applied = in_epoch("d1", 3, (1..=4).map(receive).collect());
    pool.apply_batch(&applied, 1, NO_LOG);
    // Same (device, epoch, seqs), another quantity at seq 2; with a fresh
    // seq 5 behind it that must not be applied either.
    let mut forged: Vec<Movement> = (2..=5).map(receive).collect();
    forged[0].quantity = 9;
    let forged = in_epoch("d1", 3, forged);
    let refused = BatchOutcome::Conflict {
        seq: 2,
        watermark: 4,
    };
    assert_eq!(pool.apply_batch(&forged, 2, NO_LOG), refused, "pending");
    assert_eq!(
        refused.ack_through(),
        None,
        "a conflict is not acknowledged"
    );
    let changes = pool.take_changes();
    let log: Vec<EventRecord> = changes.events.into_iter().map(|(_, e)| e).collect();
    let alerts: Vec<_> = changes.alerts.iter().map(|(_, a)| a.kind).collect();
    assert_eq!(alerts, [crate::alerts::AlertKind::JournalConflict]);
    assert!(changes.alerts[0].1.message.contains("seq 2"));
    // Committed now: found through the log; the same conflict again is
    // counted but raises no second alert.
    assert_eq!(pool.apply_batch(&forged, 3, &log), refused, "committed");
    let changes = pool.take_changes();
    assert!(changes.alerts.is_empty());
    assert_eq!(changes.devices[0].1.conflicts, 2);
    assert_eq!((pool.watermark("d1", 3), pool.on_hand(&key("A"))), (4, 4));
    // The genuine resend is still a duplicate, and the next scan applies.
    let genuine = in_epoch("d1", 3, (3..=5).map(receive).collect());
    assert_eq!(
        pool.apply_batch(&genuine, 4, &log),
        BatchOutcome::Applied {
            count: 1,
            through: 5
        }
    );
}

#[test]
fn a_log_that_cannot_be_read_applies_nothing() {
    struct Broken;
    impl AppliedLog for Broken {
        fn applied(&self, _: &DeviceEpoch, _: u64, _: u64) -> Result<Vec<Movement>, String> {
            Err("disk on fire".into())
        }
    }
    let mut pool = Pool::default();
    let receive = |s| mv(s, MovementKind::Receive, 1, None);
    pool.apply_batch(&batch("d1", (1..=2).map(receive).collect()), 1, NO_LOG);
    pool.take_changes();
    let resend = batch("d1", (2..=3).map(receive).collect());
    let outcome = pool.apply_batch(&resend, 2, &Broken);
    assert_eq!(outcome, BatchOutcome::Unverified { watermark: 2 });
    assert_eq!(outcome.ack_through(), None);
    // A log missing what the watermark claims is no better.
    assert_eq!(
        pool.apply_batch(&resend, 2, NO_LOG),
        BatchOutcome::Unverified { watermark: 2 }
    );
    assert_eq!(pool.on_hand(&key("A")), 2);
}

#[test]
fn oversold_pick_is_applied_not_dropped() {
    let mut pool = Pool::default();
    let b = batch("d1", vec![mv(1, MovementKind::Pick, 3, None)]);
    pool.apply_batch(&b, 1, NO_LOG);
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

/// One delivery: which epoch, which slice of its scans, whether one
/// movement of it is altered (a conflicting copy), whether the group
/// commits after it.
type Delivery = (usize, usize, usize, Option<usize>, bool);

fn arb_delivery() -> impl Strategy<Value = Delivery> {
    (
        0usize..3,
        0usize..30,
        1usize..8,
        proptest::option::weighted(0.2, 0usize..8),
        any::<bool>(),
    )
}

/// What the hub should hold: every applied movement by (epoch, seq).
#[derive(Default)]
struct Model(BTreeMap<(u64, u64), Movement>);

impl Model {
    /// The outcome the pool must give `b`, applied to the model.
    fn apply(&mut self, b: &EventBatch) -> BatchOutcome {
        let epoch = b.epoch;
        let watermark = self.0.range((epoch, 0)..=(epoch, u64::MAX)).count() as u64;
        if b.first_seq > watermark + 1 {
            return BatchOutcome::Gap { watermark };
        }
        let differs = b
            .movements
            .iter()
            .find(|m| m.seq <= watermark && self.0.get(&(epoch, m.seq)) != Some(*m));
        if let Some(m) = differs {
            return BatchOutcome::Conflict {
                seq: m.seq,
                watermark,
            };
        }
        if b.last_seq() <= watermark {
            return BatchOutcome::Duplicate {
                through: b.last_seq(),
            };
        }
        for m in b.movements.iter().filter(|m| m.seq > watermark) {
            self.0.insert((epoch, m.seq), m.clone());
        }
        let count = (b.last_seq() - watermark) as usize;
        BatchOutcome::Applied {
            count,
            through: b.last_seq(),
        }
    }
}

proptest! {
    /// Whatever the delivery order, duplication and conflicting copies,
    /// over three epochs of one device: each outcome is the model's (a
    /// plain map of what was applied per (epoch, seq)), each epoch's
    /// movements are applied once, in order, as first received, and the
    /// pool equals a replay of its own event log.
    #[test]
    fn pool_follows_the_model_and_equals_replay_of_log(
        scans in proptest::collection::vec(arb_movement(), 30),
        deliveries in proptest::collection::vec(arb_delivery(), 1..80),
    ) {
        let movements: Vec<Movement> = scans.iter().enumerate().map(|(i, &(kind, q, loc, to))| {
            let mut m = mv(i as u64 + 1, kind, q, None);
            m.location = format!("L{loc}");
            if kind.needs_destination() {
                m.to_location = Some(format!("L{}", (loc + to % 2 + 1) % 3));
            }
            m
        }).collect();
        let epochs = [11u64, 22, 33];
        let mut pool = Pool::default();
        let mut log: Vec<EventRecord> = Vec::new();
        let mut model = Model::default();
        for (e, start, len, alter, commit) in deliveries {
            let end = (start + len).min(movements.len());
            let mut sent = movements[start..end].to_vec();
            if let Some(m) = alter.and_then(|i| sent.get_mut(i)) {
                m.device_time_ms += 1;
            }
            let b = in_epoch("d1", epochs[e], sent);
            let expected = model.apply(&b);
            prop_assert_eq!(pool.apply_batch(&b, 0, &log), expected);
            if commit {
                log.extend(pool.take_changes().events.into_iter().map(|(_, e)| e));
            }
        }
        // The link heals: each epoch sends everything, as the hub has it.
        for epoch in epochs {
            let sent = (1..=30u64)
                .map(|seq| model.0.get(&(epoch, seq)).cloned()
                    .unwrap_or_else(|| movements[seq as usize - 1].clone()))
                .collect();
            let b = in_epoch("d1", epoch, sent);
            let expected = model.apply(&b);
            prop_assert!(expected.ack_through() == Some(30), "{:?}", expected);
            prop_assert_eq!(pool.apply_batch(&b, 0, &log), expected);
        }
        log.extend(pool.take_changes().events.into_iter().map(|(_, e)| e));
        for epoch in epochs {
            let applied: Vec<&Movement> = log.iter()
                .filter(|e| e.epoch == epoch)
                .flat_map(|e| &e.movements)
                .collect();
            let wanted: Vec<&Movement> = model.0.range((epoch, 0)..=(epoch, u64::MAX))
                .map(|(_, m)| m)
                .collect();
            prop_assert_eq!(applied, wanted);
            prop_assert_eq!(pool.watermark("d1", epoch), 30);
        }
        prop_assert_eq!(replay(&log), pool.stock_snapshot());
    }
}

#[test]
fn a_group_s_feed_names_each_changed_sku_once_with_its_levels_and_ids_run_on() {
    use crate::fleet::Heartbeat;
    let mut p = Pool::default();
    p.apply_batch(
        &batch(
            "d1",
            vec![
                mv(1, MovementKind::Receive, 5, None),
                mv(2, MovementKind::Receive, 2, None),
            ],
        ),
        10,
        NO_LOG,
    );
    p.device_heartbeat(
        &Heartbeat {
            device: "d1".into(),
            online: true,
            backlog: 0,
            battery_pct: Some(3),
            device_time_ms: 10,
            version: None,
            signal_dbm: None,
            epoch: None,
            acked_seq: None,
        },
        10,
    );
    let first = p.take_changes_with_feed(10);
    let names: Vec<&str> = first.feed.iter().map(|(_, e)| e.event.as_str()).collect();
    assert_eq!(names, ["stock", "alert", "device"], "{:?}", first.feed);
    let ids: Vec<u64> = first.feed.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(first.next_ids.feed, 4);
    let stock: serde_json::Value = serde_json::from_str(&first.feed[0].1.data).expect("json");
    assert_eq!(stock["sku"], "SKU-1");
    assert_eq!(
        (stock["on_hand"].as_i64(), stock["available"].as_i64()),
        (Some(7), Some(7))
    );
    let alert: serde_json::Value = serde_json::from_str(&first.feed[1].1.data).expect("json");
    assert_eq!(
        (alert["kind"].as_str(), alert["state"].as_str()),
        (Some("low_battery"), Some("open"))
    );
    assert!(
        p.take_changes_with_feed(11).feed.is_empty(),
        "nothing new, nothing pushed"
    );
    p.apply_batch(
        &batch("d1", vec![mv(3, MovementKind::Pick, 1, None)]),
        12,
        NO_LOG,
    );
    let next = p.take_changes_with_feed(12);
    assert_eq!(next.feed.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [4]);
    assert_eq!(next.feed[0].1.at_ms, 12);
}

#[test]
fn available_by_sku_is_each_skus_available_quarantine_left_out() {
    let stock = HashMap::from([(key("A-01"), 7), (key("QUAR-01"), 3)]);
    let pool = Pool::from_parts(stock, HashMap::new(), 1, 1);
    assert_eq!(pool.available("SKU-1"), 7);
    assert_eq!(pool.available_by_sku(), vec![("SKU-1".to_string(), 7)]);
}
