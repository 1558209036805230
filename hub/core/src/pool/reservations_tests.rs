//! Reservations, safety stock, discrepancies and lots against the plain
//! pool: table tests, a restart through the persisted changes, and a
//! proptest model test checking the invariants after every step.

use crate::alerts::AlertKind;
use crate::changes::{Changes, PoolParts};
use crate::errors::PoolError;
use crate::pool::reservations::Reserved;
use crate::pool::{Pool, StockKey};
use crate::reservations::{RequestLine, Reservation, ReservationState, ReserveRequest};
use crate::safety::SafetyRule;
use proptest::prelude::*;
use protocol::{EventBatch, Movement, MovementKind};
use std::collections::{BTreeMap, HashMap};

const MIN: u64 = 60_000;

/// What a store would hold: every change absorbed, loadable again.
#[derive(Default)]
struct Disk {
    parts: PoolParts,
    reservations: BTreeMap<u64, Reservation>,
    alerts: Vec<AlertKind>,
}

impl Disk {
    fn absorb(&mut self, c: Changes) {
        self.parts.stock.extend(c.stock);
        self.parts.devices.extend(c.devices);
        self.parts.next_event = c.next_event;
        self.parts.next_dead = c.next_dead;
        for r in c.reservations {
            self.reservations.insert(r.id, (*r).clone());
        }
        for (sku, rule) in c.safety {
            self.parts.safety.retain(|(s, _)| *s != sku);
            if let Some(rule) = rule {
                self.parts.safety.push((sku, rule));
            }
        }
        for d in c.discrepancies {
            self.parts.open_discrepancies.retain(|o| o.id != d.id);
            if d.resolution.is_none() {
                self.parts.open_discrepancies.push(d);
            }
        }
        for t in c.count_tasks {
            self.parts.open_tasks.retain(|o| o.id != t.id);
            if t.done_ms.is_none() {
                self.parts.open_tasks.push(t);
            }
        }
        self.parts.lots.extend(c.lots);
        self.alerts
            .extend(c.alerts.into_iter().map(|(_, a)| a.kind));
        self.parts.next_ids = c.next_ids;
    }

    fn load(&self) -> Pool {
        let parts = PoolParts {
            stock: self.parts.stock.clone(),
            devices: self.parts.devices.clone(),
            next_event: self.parts.next_event,
            next_dead: self.parts.next_dead,
            reservations: self.reservations.values().cloned().collect(),
            safety: self.parts.safety.clone(),
            open_discrepancies: self.parts.open_discrepancies.clone(),
            open_tasks: self.parts.open_tasks.clone(),
            lots: self.parts.lots.clone(),
            next_ids: self.parts.next_ids,
            ..PoolParts::default()
        };
        Pool::load(parts)
    }
}

/// A pool, its disk, and a device to scan with.
struct Site {
    pool: Pool,
    disk: Disk,
    seq: u64,
}

impl Site {
    fn new() -> Site {
        Site {
            pool: Pool::default(),
            disk: Disk::default(),
            seq: 0,
        }
    }

    fn commit(&mut self) {
        let c = self.pool.take_changes();
        self.disk.absorb(c);
    }

    fn restart(&mut self) {
        self.commit();
        self.pool = self.disk.load();
    }

    fn scan(&mut self, kind: MovementKind, sku: &str, loc: &str, qty: i64, lot: &str, task: &str) {
        self.seq += 1;
        let m = Movement {
            seq: self.seq,
            kind,
            sku: sku.into(),
            location: loc.into(),
            to_location: None,
            lot: Some(lot.to_string()).filter(|l| !l.is_empty()),
            quantity: qty,
            device_time_ms: 0,
            task: Some(task.to_string()).filter(|t| !t.is_empty()),
        };
        let batch = EventBatch {
            site: "s".into(),
            device: "d1".into(),
            epoch: 1,
            first_seq: self.seq,
            movements: vec![m],
            auth_tag: None,
        };
        // Every scan is new (seqs only grow): nothing to compare with.
        self.pool.apply_batch(&batch, 0, &Vec::new());
        self.commit();
    }

    fn reserve(
        &mut self,
        key: &str,
        lines: &[(&str, i64)],
        now: u64,
    ) -> Result<Reserved, PoolError> {
        let req = request(key, lines, 10 * MIN);
        let out = self.pool.reserve(&req, now);
        self.commit();
        out
    }

    fn reserved(&self, sku: &str) -> i64 {
        self.pool.level(sku).map_or(0, |l| l.reserved)
    }
}

fn request(key: &str, lines: &[(&str, i64)], hold_ms: u64) -> ReserveRequest {
    ReserveRequest {
        order_ref: key.into(),
        idempotency_key: None,
        lines: lines
            .iter()
            .map(|&(sku, quantity)| RequestLine {
                sku: sku.into(),
                quantity,
            })
            .collect(),
        hold_ms,
    }
}

fn new_id(r: Result<Reserved, PoolError>) -> u64 {
    match r {
        Ok(Reserved::New(r)) => r.id,
        other => panic!("expected a new reservation, got {other:?}"),
    }
}

#[test]
fn all_lines_or_none_with_shortfall_per_line() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 5, "", "");
    s.scan(MovementKind::Receive, "B", "L1", 2, "", "");
    match s.reserve("o1", &[("A", 4), ("B", 3)], 0) {
        Err(PoolError::Insufficient(lines)) => {
            let got: Vec<(String, i64, i64)> = lines
                .into_iter()
                .map(|l| (l.sku, l.available, l.short))
                .collect();
            assert_eq!(got, [("A".into(), 5, 0), ("B".into(), 2, 1)]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((s.reserved("A"), s.reserved("B")), (0, 0), "nothing held");
    assert!(matches!(
        s.reserve("o2", &[("C", 1)], 0),
        Err(PoolError::UnknownSku(_))
    ));
    new_id(s.reserve("o3", &[("A", 2), ("A", 3)], 0));
    assert_eq!(s.pool.available("A"), 0);
}

#[test]
fn retries_return_the_same_reservation() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 5, "", "");
    let id = new_id(s.reserve("o1", &[("A", 2)], 0));
    assert!(matches!(s.reserve("o1", &[("A", 2)], 1), Ok(Reserved::Existing(r)) if r.id == id));
    assert!(matches!(
        s.reserve("o1", &[("A", 3)], 1),
        Err(PoolError::IdempotencyMismatch(_))
    ));
    s.pool.release(id, 2).unwrap();
    assert_eq!(s.reserve("o1", &[("A", 2)], 3), Ok(Reserved::Stored(id)));
    assert_eq!(s.reserved("A"), 0);
}

#[test]
fn holds_expire_on_time_and_across_a_restart() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 5, "", "");
    let a = new_id(s.reserve("o1", &[("A", 2)], 1_000));
    let b = new_id(s.reserve("o2", &[("A", 3)], 2_000));
    assert_eq!(s.pool.next_expiry(), Some(1_000 + 10 * MIN));
    assert_eq!(s.pool.sweep(1_000 + 10 * MIN - 1), 0);
    assert_eq!(s.pool.sweep(1_000 + 10 * MIN), 1);
    assert_eq!(s.reserved("A"), 3);
    s.restart();
    assert_eq!(s.reserved("A"), 3, "the other hold survived the restart");
    assert_eq!(s.pool.sweep(2_000 + 10 * MIN), 1);
    s.restart();
    assert_eq!(s.reserved("A"), 0);
    for id in [a, b] {
        assert_eq!(s.disk.reservations[&id].state, ReservationState::Expired);
    }
    // A confirm arriving after the expiry but before a sweep is too late.
    let c = new_id(s.reserve("o3", &[("A", 1)], 0));
    assert_eq!(s.pool.confirm(c, 10 * MIN), Err(PoolError::NotFound(c)));
}

#[test]
fn confirm_allocates_fefo_and_picks_consume_it() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 4, "late@2027-06-01", "");
    s.scan(MovementKind::Receive, "A", "L2", 3, "soon@2027-01-01", "");
    s.scan(MovementKind::Receive, "A", "L3", 10, "", "");
    let id = new_id(s.reserve("o1", &[("A", 5)], 0));
    let r = s.pool.confirm(id, 1).unwrap();
    let picks: Vec<(&str, &str, i64)> = r
        .allocations
        .iter()
        .map(|a| (a.location.as_str(), a.lot.as_str(), a.quantity))
        .collect();
    assert_eq!(
        picks,
        [("L2", "soon@2027-01-01", 3), ("L1", "late@2027-06-01", 2)]
    );
    assert_eq!(r.task.as_deref(), Some("res-1"));
    assert_eq!(
        s.pool.sweep(u64::MAX / 2),
        0,
        "confirmed holds do not expire"
    );
    let a = s.pool.availability("A").unwrap();
    let per_location: Vec<(&str, i64, i64)> = a
        .locations
        .iter()
        .map(|l| (l.location.as_str(), l.allocated, l.available))
        .collect();
    assert_eq!(per_location, [("L1", 2, 2), ("L2", 3, 0), ("L3", 0, 10)]);
    assert_eq!((a.reserved, a.available), (5, 12));
    // Other orders are told to pick what this one was not.
    let next = s.pool.pick_suggestions("A", 3).unwrap();
    assert_eq!((next[0].location.as_str(), next[0].quantity), ("L1", 2));
    s.scan(MovementKind::Pick, "A", "L2", 3, "soon@2027-01-01", "res-1");
    assert_eq!((s.reserved("A"), s.pool.available("A")), (2, 12));
    s.scan(MovementKind::Pick, "A", "L3", 2, "", "res-1");
    assert_eq!((s.reserved("A"), s.pool.available("A")), (0, 12));
    assert_eq!(s.disk.reservations[&id].state, ReservationState::Fulfilled);
    assert_eq!(s.disk.alerts, [AlertKind::LotDeviation]);
}

#[test]
fn stop_at_safety_refuses_and_crossing_alerts_once() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 10, "", "");
    let rule = SafetyRule {
        threshold: 4,
        stop_at_safety: true,
    };
    s.pool.set_safety("A", Some(rule), 0);
    new_id(s.reserve("o1", &[("A", 6)], 0));
    match s.reserve("o2", &[("A", 1)], 0) {
        Err(PoolError::BelowSafety(l)) => {
            assert_eq!(
                (l[0].available, l[0].short, l[0].safety_threshold),
                (4, 1, Some(4))
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(s.disk.alerts.is_empty());
    s.scan(MovementKind::Pick, "A", "L1", 1, "", "");
    s.scan(MovementKind::Pick, "A", "L1", 1, "", "");
    assert_eq!(
        s.disk.alerts,
        [AlertKind::BelowSafety],
        "one alert per crossing"
    );
    s.restart();
    s.scan(MovementKind::Pick, "A", "L1", 1, "", "");
    assert_eq!(
        s.disk.alerts.len(),
        1,
        "still below after a restart: no new alert"
    );
    s.pool.set_safety(
        "A",
        Some(SafetyRule {
            threshold: 4,
            stop_at_safety: false,
        }),
        0,
    );
    new_id(s.reserve("o3", &[("A", 1)], 0));
}

#[test]
fn uncovered_pick_is_applied_recorded_and_closed_by_a_count() {
    let mut s = Site::new();
    s.scan(MovementKind::Receive, "A", "L1", 2, "", "");
    let id = new_id(s.reserve("o1", &[("A", 2)], 0));
    s.scan(MovementKind::Pick, "A", "L1", 5, "", "");
    s.scan(MovementKind::Pick, "A", "L1", 1, "", "");
    let key = StockKey {
        sku: "A".into(),
        location: "L1".into(),
        lot: String::new(),
    };
    assert_eq!(s.pool.on_hand(&key), -4, "applied as scanned, not clamped");
    let open = &s.disk.parts.open_discrepancies;
    assert_eq!(open.len(), 2);
    assert_eq!((open[0].expected, open[0].scanned), (2, 5));
    assert_eq!(
        open[0].count_task, open[1].count_task,
        "one count task per location"
    );
    assert_eq!(s.disk.parts.open_tasks.len(), 1);
    let kinds = [
        AlertKind::Discrepancy,
        AlertKind::HeldStockShort,
        AlertKind::Discrepancy,
    ];
    assert_eq!(s.disk.alerts, kinds);
    s.restart();
    s.scan(MovementKind::Count, "A", "L1", 3, "", "");
    assert!(s.disk.parts.open_discrepancies.is_empty());
    assert!(s.disk.parts.open_tasks.is_empty());
    assert_eq!(s.pool.on_hand(&key), 3);
    assert_eq!(s.pool.available("A"), 1);
    s.pool.release(id, 1).unwrap();
}

#[path = "model_tests.rs"]
mod model;
