//! A simulated week of reservations against the plain pool, time from an
//! injected time (a plain value; the core reads no clock): every hour reservations are made, released,
//! fulfilled, left confirmed or left to expire, and the sweeper runs. What
//! a store would hold (every group's changes applied, pruned records
//! removed) stays bounded by one retention window, active reservations are
//! never pruned, and a retry is answered with the first reservation within
//! the retention and gets a new one after it. A restart mid-week reloads
//! the same state.

use crate::changes::{Changes, PoolParts};
use crate::pool::reservations::Reserved;
use crate::pool::Pool;
use crate::reservations::{RequestLine, Reservation, ReserveRequest};
use protocol::{EventBatch, Movement, MovementKind};
use std::collections::BTreeMap;

const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;
const RETENTION: u64 = 24 * HOUR;
/// Reservations made per simulated hour.
const PER_HOUR: u64 = 4;
/// How long the hourly confirmed reservation stays active.
const CONFIRMED_FOR: u64 = 30;

/// The pool, what its store would hold, and the clock.
struct Sim {
    pool: Pool,
    parts: PoolParts,
    stored: BTreeMap<u64, Reservation>,
    now: u64,
    seq: u64,
}

impl Sim {
    fn new() -> Sim {
        let mut sim = Sim {
            pool: Pool::default(),
            parts: PoolParts::default(),
            stored: BTreeMap::new(),
            now: 1_700_000_000_000,
            seq: 0,
        };
        sim.pool.set_key_retention(RETENTION);
        sim.scan(MovementKind::Receive, 1_000_000, None);
        sim
    }

    fn now(&self) -> u64 {
        self.now
    }

    fn commit(&mut self) {
        let c: Changes = self.pool.take_changes();
        self.parts.stock.extend(c.stock);
        self.parts.devices.extend(c.devices);
        self.parts.next_event = c.next_event;
        self.parts.next_dead = c.next_dead;
        self.parts.next_ids = c.next_ids;
        for r in c.reservations {
            self.stored.insert(r.id, (*r).clone());
        }
        for id in c.pruned_reservations {
            assert!(self.stored.remove(&id).is_some(), "pruned {id} not stored");
        }
    }

    fn restart(&mut self) {
        self.commit();
        let parts = PoolParts {
            stock: self.parts.stock.clone(),
            devices: self.parts.devices.clone(),
            next_event: self.parts.next_event,
            next_dead: self.parts.next_dead,
            reservations: self.stored.values().cloned().collect(),
            next_ids: self.parts.next_ids,
            ..PoolParts::default()
        };
        self.pool = Pool::load(parts);
        // As the writer does at start (Writer::set_key_retention).
        self.pool.set_key_retention(RETENTION);
        self.pool.prune_keys(self.now());
    }

    fn scan(&mut self, kind: MovementKind, quantity: i64, task: Option<String>) {
        self.seq += 1;
        let batch = EventBatch {
            site: "s".into(),
            device: "d1".into(),
            epoch: 1,
            first_seq: self.seq,
            movements: vec![Movement {
                seq: self.seq,
                kind,
                sku: "A".into(),
                location: "L1".into(),
                to_location: None,
                lot: None,
                quantity,
                device_time_ms: 0,
                task,
            }],
            auth_tag: None,
        };
        self.pool.apply_batch(&batch, self.now(), &Vec::new());
        self.commit();
    }

    fn reserve(&mut self, key: &str) -> Reserved {
        let req = ReserveRequest {
            order_ref: key.into(),
            idempotency_key: None,
            lines: vec![RequestLine {
                sku: "A".into(),
                quantity: 2,
            }],
            hold_ms: 10 * MIN,
        };
        let out = self.pool.reserve(&req, self.now()).expect("reserve");
        self.commit();
        out
    }

    fn new_id(&mut self, key: &str) -> u64 {
        match self.reserve(key) {
            Reserved::New(r) => r.id,
            other => panic!("{key}: expected a new reservation, got {other:?}"),
        }
    }

    /// The sweeper's command: expire due holds, prune past the retention.
    fn sweep(&mut self) {
        let now = self.now();
        self.pool.sweep(now);
        self.pool.prune_keys(now);
        self.commit();
    }

    /// One simulated hour: four reservations, each ending its own way
    /// (or not), the sweeper every 15 minutes.
    fn hour(&mut self, h: u64) {
        let now = self.now();
        let released = self.new_id(&format!("rel-{h}"));
        self.pool.release(released, now).expect("release");
        let fulfilled = self.new_id(&format!("ful-{h}"));
        self.pool.confirm(fulfilled, now).expect("confirm");
        self.scan(MovementKind::Pick, 2, Some(format!("res-{fulfilled}")));
        let confirmed = self.new_id(&format!("con-{h}"));
        self.pool.confirm(confirmed, now).expect("confirm");
        self.new_id(&format!("exp-{h}"));
        if let Some(old) = h.checked_sub(CONFIRMED_FOR) {
            let id = match self.reserve(&format!("con-{old}")) {
                Reserved::Existing(r) => r.id,
                other => panic!("con-{old} should be active, got {other:?}"),
            };
            self.pool.release(id, now).expect("release old");
        }
        self.commit();
        for _ in 0..4 {
            self.now += 15 * MIN;
            self.sweep();
        }
    }

    /// Checks the stored records against the pool after a sweep.
    fn check_bounded(&self, h: u64) {
        let now = self.now();
        for r in self.pool.book.active() {
            assert_eq!(self.stored.get(&r.id), Some(r), "hour {h}: active {}", r.id);
        }
        for r in self.stored.values().filter(|r| !r.state.is_active()) {
            assert!(r.updated_ms + RETENTION > now, "hour {h}: {} kept", r.id);
        }
        // One retention window of ended ones (plus the hour being swept),
        // plus the confirmed ones still active and this hour's hold.
        let bound = PER_HOUR * (RETENTION / HOUR + 1) + CONFIRMED_FOR + 1;
        assert!(
            self.stored.len() as u64 <= bound,
            "hour {h}: {} stored, bound {bound}",
            self.stored.len()
        );
        assert_eq!(
            self.stored.len(),
            self.pool.book.active().count() + self.pool.ended_reservations(),
            "hour {h}: pool and store disagree"
        );
    }
}

#[test]
fn a_simulated_week_keeps_the_stored_reservations_bounded() {
    let mut sim = Sim::new();
    let hours = 7 * 24;
    for h in 0..hours {
        sim.hour(h);
        sim.check_bounded(h);
        if h == 100 {
            let before = (sim.pool.honoured_keys(), sim.pool.ended_reservations());
            sim.restart();
            let after = (sim.pool.honoured_keys(), sim.pool.ended_reservations());
            assert_eq!(before, after, "a restart changes what is kept");
            sim.check_bounded(h);
        }
    }
    let made = hours * PER_HOUR;
    assert!(made > 600);
    assert!(
        (sim.stored.len() as u64) < made / 4,
        "{} of {made} kept",
        sim.stored.len()
    );
    assert_eq!(sim.pool.level("A").map(|l| l.reserved), Some(2 * 30));
}

#[test]
fn a_retry_within_the_retention_gets_the_first_reservation_after_it_a_new_one() {
    let mut sim = Sim::new();
    let first = sim.new_id("o1");
    sim.pool.release(first, sim.now()).expect("release");
    sim.commit();
    sim.now += RETENTION - MIN;
    sim.sweep();
    match sim.reserve("o1") {
        Reserved::Stored(id) => {
            assert_eq!(id, first);
            assert!(sim.stored.contains_key(&id), "the answer is still stored");
        }
        other => panic!("expected the released reservation, got {other:?}"),
    }
    sim.now += MIN;
    sim.sweep();
    assert!(!sim.stored.contains_key(&first), "pruned with its key");
    let second = sim.new_id("o1");
    assert!(second > first);
    // The new owner of the key survives a restart; the old record does not
    // come back.
    sim.restart();
    assert!(matches!(sim.reserve("o1"), Reserved::Existing(r) if r.id == second));
    assert!(!sim.stored.contains_key(&first));
}

#[test]
fn a_reservation_ended_while_the_hub_was_down_is_pruned_at_start() {
    let mut sim = Sim::new();
    let id = sim.new_id("o1");
    sim.pool.release(id, sim.now()).expect("release");
    sim.commit();
    sim.now += 2 * RETENTION;
    sim.restart();
    assert_eq!(sim.pool.honoured_keys(), 0);
    sim.commit();
    assert!(sim.stored.is_empty(), "{:?}", sim.stored.keys());
}
