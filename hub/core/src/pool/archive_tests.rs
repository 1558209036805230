//! Final orders leave memory once committed (an archive attached, as the
//! hub attaches its store), and every command that still touches one finds
//! it there: a resent order, a late cancel or payment, a return, a second
//! `ship` scan, a customer merge.

use crate::alerts::AlertKind;
use crate::errors::PoolError;
use crate::events::{EventRecord, StockKey};
use crate::orders::{
    ArchiveInMemory, Customer, Order, OrderArchive, OrderCustomer, OrderLine, OrderRules,
    OrderState, Service, Shipment,
};
use crate::pool::orders::OrderIntake;
use crate::pool::{Changes, Pool, PoolParts};
use protocol::{EventBatch, Movement, MovementKind};
use std::collections::HashMap;
use std::sync::Arc;

const T0: u64 = 1_800_000_000_000;
const NO_LOG: &Vec<EventRecord> = &Vec::new();

fn stock(units: i64) -> HashMap<StockKey, i64> {
    let key = StockKey {
        sku: "TEA".into(),
        location: "A-01".into(),
        lot: String::new(),
    };
    HashMap::from([(key, units)])
}

/// A pool over `parts` reading final orders from a fresh archive.
fn archived(parts: PoolParts) -> (Pool, Arc<ArchiveInMemory>) {
    let mut pool = Pool::load(parts);
    pool.set_order_rules(OrderRules {
        site: "s1".into(),
        ..OrderRules::default()
    });
    let archive = Arc::new(ArchiveInMemory::default());
    pool.set_order_archive(archive.clone());
    (pool, archive)
}

pub(super) fn pool(units: i64) -> (Pool, Arc<ArchiveInMemory>) {
    archived(PoolParts {
        stock: stock(units),
        ..PoolParts::default()
    })
}

pub(super) fn intake(id: &str, customer: &str) -> OrderIntake {
    OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: "web".into(),
        service: Service::Standard,
        paid: false,
        customer: OrderCustomer {
            customer_key: customer.into(),
            ..OrderCustomer::default()
        },
        wrapped_key: Some(vec![1, 2, 3]),
        lines: vec![OrderLine {
            sku: "TEA".into(),
            quantity: 1,
        }],
        tags: Vec::new(),
        problems: Vec::new(),
        fixes: Vec::new(),
    }
}

/// Ends a group as the writer does: its changes go to the archive.
pub(super) fn commit(pool: &mut Pool, archive: &ArchiveInMemory) -> Changes {
    let changes = pool.take_changes();
    archive.commit(&changes.orders);
    archive.commit_customers(&changes.customers, &changes.removed_customers);
    changes
}

fn place(pool: &mut Pool, id: &str, customer: &str) -> u64 {
    let placed = pool.place_order(intake(id, customer), T0).expect("placed");
    placed.order.id
}

fn scan(seq: u64, kind: MovementKind, sku: &str, task: Option<String>) -> EventBatch {
    EventBatch {
        site: "s1".into(),
        device: "desk".into(),
        epoch: 1,
        first_seq: seq,
        movements: vec![Movement {
            seq,
            kind,
            sku: sku.into(),
            location: "A-02".into(),
            to_location: None,
            lot: None,
            quantity: 1,
            device_time_ms: 0,
            task,
        }],
        auth_tag: None,
    }
}

#[test]
fn a_final_order_leaves_memory_once_committed_and_its_resend_is_a_duplicate() {
    let (mut p, archive) = pool(10);
    let done = place(&mut p, "A-1", "c-1");
    let open = place(&mut p, "A-2", "c-1");
    p.cancel_order(done, T0 + 1).expect("cancelled");
    assert!(p.order(done).is_some(), "held until its commit");
    let first = commit(&mut p, &archive);
    assert!(p.order(done).is_none(), "gone from memory once committed");
    assert!(p.order(open).is_some(), "an open order stays");
    assert_eq!(p.orders().count(), 1);

    let again = p.place_order(intake("A-1", "c-1"), T0 + 2).expect("resend");
    assert!(!again.created, "a resend, not a new order");
    assert_eq!(again.order.id, done);
    assert_eq!(again.order.state, OrderState::Cancelled);
    assert_eq!(p.available("TEA"), 9, "only the open order holds stock");
    assert_eq!(
        p.customer("c-1").expect("read").map(|c| c.orders),
        Some(2),
        "not counted twice"
    );
    let second = commit(&mut p, &archive);
    assert!(second.orders.is_empty(), "nothing written: {second:?}");
    assert_eq!(second.next_ids.order, first.next_ids.order, "no id spent");
    assert!(p.order(done).is_none(), "the recalled copy left again");
    assert_eq!(p.orders().count(), 1);
}

#[test]
fn the_book_holds_open_orders_only_however_many_finished() {
    let (mut p, archive) = pool(1_000);
    for group in 0..10 {
        for i in 0..50 {
            let id = place(&mut p, &format!("B-{group}-{i}"), &format!("c-{i}"));
            if i >= 5 {
                p.cancel_order(id, T0 + 1).expect("cancelled");
            }
        }
        commit(&mut p, &archive);
    }
    assert_eq!(archive.len(), 500, "every order is stored");
    assert_eq!(p.orders().count(), 50, "only the open ones are held");
    assert!(p.orders().all(|o| !o.state.is_final()));
    let census = p.census();
    assert_eq!(census.orders.get("cancelled"), Some(&0));
    assert_eq!(census.orders.get("held"), Some(&50));
}

#[test]
fn late_commands_on_an_order_out_of_memory_answer_as_before() {
    let (mut p, archive) = pool(10);
    let id = place(&mut p, "C-1", "c-1");
    p.cancel_order(id, T0 + 1).expect("cancelled");
    commit(&mut p, &archive);
    let wrong = |e: PoolError| matches!(e, PoolError::OrderWrongState { .. });
    assert!(p.cancel_order(id, T0 + 2).is_err_and(wrong));
    assert!(p.order_paid(id, T0 + 2).is_err_and(wrong));
    assert!(p
        .resubmit_order(id, None, Vec::new(), T0 + 2)
        .is_err_and(wrong));
    let closed = p
        .cancel_on_platform("own", "C-1", "TRADE_CLOSED", T0 + 2)
        .expect("read");
    assert_eq!(
        closed.map(|o| (o.id, o.state)),
        Some((id, OrderState::Cancelled))
    );
    assert_eq!(
        p.cancel_order(id + 100, T0 + 2),
        Err(PoolError::OrderNotFound(id + 100))
    );
    assert!(commit(&mut p, &archive).orders.is_empty());
    assert_eq!(p.orders().count(), 0);
}

#[test]
fn returns_on_orders_out_of_memory_are_recorded_and_tag_the_customer() {
    let (mut p, archive) = pool(10);
    let ids: Vec<u64> = (1..=3)
        .map(|i| place(&mut p, &format!("R-{i}"), "c-1"))
        .collect();
    for &id in &ids {
        p.cancel_order(id, T0 + 1).expect("cancelled");
    }
    commit(&mut p, &archive);
    for (seq, &id) in (1..).zip(&ids) {
        let task = Some(format!("return:{id}:unwanted"));
        p.apply_batch(
            &scan(seq, MovementKind::Return, "TEA", task),
            T0 + 2,
            NO_LOG,
        );
        let changes = commit(&mut p, &archive);
        assert!(changes.alerts.is_empty(), "{:?}", changes.alerts);
        assert_eq!(changes.orders.len(), 1, "the order with its return");
        assert_eq!(p.orders().count(), 0, "and out of memory again");
    }
    for &id in &ids {
        let stored = archive.order(id).expect("read").expect("stored");
        assert_eq!(stored.returns.len(), 1, "{stored:?}");
    }
    let tags = p
        .customer("c-1")
        .expect("read")
        .map(|c| c.tags.clone())
        .unwrap_or_default();
    assert!(tags.iter().any(|t| t == "frequent_returns"), "{tags:?}");
}

#[test]
fn a_second_ship_scan_of_a_parcel_out_of_memory_changes_nothing() {
    let (mut seed, _) = pool(10);
    let id = place(&mut seed, "S-1", "c-1");
    let mut labelled: Order = seed.order(id).expect("order").clone();
    labelled.enter(OrderState::Labelled, T0 + 1, "label printed");
    labelled.shipment = Some(Shipment {
        carrier: "SF".into(),
        tracking: "SF1234567890".into(),
    });
    let (mut p, archive) = archived(PoolParts {
        stock: stock(10),
        orders: vec![labelled],
        ..PoolParts::default()
    });
    p.apply_batch(
        &scan(1, MovementKind::Ship, "SF1234567890", None),
        T0 + 2,
        NO_LOG,
    );
    let shipped = commit(&mut p, &archive);
    assert_eq!(
        shipped.orders.first().map(|o| o.state),
        Some(OrderState::Shipped)
    );
    assert_eq!(p.orders().count(), 0);
    p.apply_batch(
        &scan(2, MovementKind::Ship, "SF1234567890", None),
        T0 + 3,
        NO_LOG,
    );
    p.apply_batch(
        &scan(3, MovementKind::Ship, "SF0000000000", None),
        T0 + 3,
        NO_LOG,
    );
    let again = commit(&mut p, &archive);
    assert!(again.orders.is_empty());
    let refused: Vec<&str> = again
        .alerts
        .iter()
        .filter(|(_, a)| a.kind == AlertKind::ShipRefused)
        .map(|(_, a)| a.sku.as_str())
        .collect();
    assert_eq!(refused, ["SF0000000000"], "only the unknown parcel");
}

#[test]
fn a_merge_moves_the_customers_orders_out_of_memory_too() {
    let (mut p, archive) = pool(10);
    let gone = place(&mut p, "M-1", "c-1");
    let open = place(&mut p, "M-2", "c-1");
    place(&mut p, "M-3", "c-2");
    p.cancel_order(gone, T0 + 1).expect("cancelled");
    commit(&mut p, &archive);
    let moving = p.orders_of_customer("c-1").expect("read");
    assert_eq!(moving, [gone, open]);
    let resealed = moving
        .iter()
        .map(|&id| {
            let customer = OrderCustomer {
                customer_key: "c-2".into(),
                ..OrderCustomer::default()
            };
            (id, customer)
        })
        .collect();
    p.merge_customers("c-1", "c-2", resealed, "op", "one person", T0 + 2)
        .expect("merged");
    commit(&mut p, &archive);
    let of_c2 = archive.orders_of_customer("c-2").expect("read");
    assert_eq!(of_c2, [(gone, false)]);
    assert!(archive.orders_of_customer("c-1").expect("read").is_empty());
    assert_eq!(p.orders_of_customer("c-2").expect("read").len(), 3);
}

/// An archive that cannot be read.
struct Unreadable;

impl OrderArchive for Unreadable {
    fn order(&self, _: u64) -> Result<Option<Order>, String> {
        Err("disk gone".into())
    }
    fn order_by_platform(&self, _: &str, _: &str) -> Result<Option<u64>, String> {
        Err("disk gone".into())
    }
    fn order_by_tracking(&self, _: &str) -> Result<Option<u64>, String> {
        Err("disk gone".into())
    }
    fn customer(&self, _: &str) -> Result<Option<Customer>, String> {
        Err("disk gone".into())
    }
    fn inactive_customers(&self, _: u64) -> Result<Vec<String>, String> {
        Err("disk gone".into())
    }
    fn orders_of_customer(&self, _: &str) -> Result<Vec<(u64, bool)>, String> {
        Err("disk gone".into())
    }
}

#[test]
fn an_unreadable_archive_refuses_intake_and_creates_nothing() {
    let (mut p, _) = pool(10);
    p.set_order_archive(Arc::new(Unreadable));
    let refused = p.place_order(intake("U-1", "c-1"), T0);
    assert!(
        matches!(refused, Err(PoolError::OrderArchive(_))),
        "{refused:?}"
    );
    assert_eq!(p.orders().count(), 0);
    assert_eq!(p.available("TEA"), 10);
    assert!(p.take_changes().orders.is_empty());
}

#[test]
fn the_hold_index_forgets_orders_once_paid_or_cancelled() {
    let (mut p, archive) = pool(10);
    let paid = place(&mut p, "H-1", "c-1");
    let cancelled = place(&mut p, "H-2", "c-1");
    let waiting = place(&mut p, "H-3", "c-1");
    assert_eq!(p.orders.by_hold.len(), 3);
    p.order_paid(paid, T0 + 1).expect("paid");
    p.cancel_order(cancelled, T0 + 1).expect("cancelled");
    commit(&mut p, &archive);
    let held: Vec<u64> = p.orders.by_hold.values().copied().collect();
    assert_eq!(held, [waiting], "only the order still held");
}
