//! The index of final orders in a real store: a final order resent after
//! a restart is the order taken in before, the start-up check refuses an
//! index that does not match the orders, and a store written before the
//! index is indexed when it opens.

use super::*;
use crate::orders::{OrderCustomer, OrderLine, OrderState, Service};
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;
use std::path::Path;

const T0: u64 = 1_800_000_000_000;

fn intake(id: &str) -> OrderIntake {
    OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: "web".into(),
        service: Service::Standard,
        paid: false,
        customer: OrderCustomer {
            customer_key: "c-1".into(),
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

fn place(pool: &mut Pool, id: &str) -> u64 {
    pool.place_order(intake(id), T0).expect("placed").order.id
}

/// Ten TEA received by a device, for the orders to hold.
fn receive() -> protocol::EventBatch {
    protocol::EventBatch {
        site: "s1".into(),
        device: "d1".into(),
        epoch: 1,
        first_seq: 1,
        movements: vec![protocol::Movement {
            seq: 1,
            kind: protocol::MovementKind::Receive,
            sku: "TEA".into(),
            location: "A-01".into(),
            to_location: None,
            lot: None,
            quantity: 10,
            device_time_ms: 0,
            task: None,
        }],
        auth_tag: None,
    }
}

/// A store holding one cancelled order (`A-1`) and one open (`A-2`).
fn one_of_each(dir: &Path) -> (u64, u64) {
    let store = Store::open(dir).expect("open");
    let mut pool = store.load_pool().expect("load");
    pool.apply_batch(&receive(), T0, &store);
    let done = place(&mut pool, "A-1");
    let open = place(&mut pool, "A-2");
    pool.cancel_order(done, T0 + 1).expect("cancelled");
    store.commit(&pool.take_changes()).expect("commit");
    assert!(pool.order(done).is_none(), "out of memory once committed");
    (done, open)
}

/// Changes the store's records behind its back, durably.
fn tamper(dir: &Path, change: impl FnOnce(&sled::Tree)) {
    let store = Store::open(dir).expect("open");
    change(&store.tree);
    store.db.flush().expect("flush");
    store.seal.keeper.sync_files().expect("sync");
}

#[test]
fn a_final_order_resent_after_a_restart_is_the_same_order_and_nothing_doubles() {
    let dir = tempfile::tempdir().expect("dir");
    let (done, open) = one_of_each(dir.path());
    let store = Store::open(dir.path()).expect("reopen");
    let mut pool = store.load_pool().expect("load");
    let held: Vec<u64> = pool.orders().map(|o| o.id).collect();
    assert_eq!(held, [open], "only the open order is loaded");

    let again = pool.place_order(intake("A-1"), T0 + 2).expect("resend");
    assert!(!again.created, "answered as the order taken in before");
    assert_eq!(
        (again.order.id, again.order.state),
        (done, OrderState::Cancelled)
    );
    assert_eq!(
        pool.customer("c-1").expect("read").map(|c| c.orders),
        Some(2)
    );
    let changes = pool.take_changes();
    assert!(changes.orders.is_empty(), "nothing to write");
    store.commit(&changes).expect("commit");
    assert_eq!(store.each_order().count(), 2, "no order doubled");
    assert_eq!(pool.orders().count(), 1, "the recalled copy left again");
}

/// A change to a store holding order `done`.
type Tamper<'a> = dyn Fn(&sled::Tree, u64) + 'a;

#[test]
fn the_start_up_check_refuses_a_missing_or_wrong_index_record() {
    let pair = pair_key("own", "A-1");
    let cases: [(&str, &Tamper<'_>); 3] = [
        ("wrong id", &|tree, done| {
            let value = encode_i64(done as i64 + 1);
            tree.insert(&pair, value).expect("insert");
        }),
        ("missing", &|tree, _| {
            tree.remove(&pair).expect("remove");
        }),
        ("extra", &|tree, done| {
            let value = encode_i64(done as i64);
            tree.insert(pair_key("own", "B-9"), value).expect("insert");
        }),
    ];
    for (case, change) in cases {
        let dir = tempfile::tempdir().expect("dir");
        let (done, _) = one_of_each(dir.path());
        tamper(dir.path(), |tree| change(tree, done));
        let refused = Store::open(dir.path()).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("index of final orders")),
            "{case}: {refused:?}"
        );
    }
}

#[test]
fn a_store_written_before_the_index_is_indexed_when_it_opens() {
    let dir = tempfile::tempdir().expect("dir");
    let (done, _) = one_of_each(dir.path());
    tamper(dir.path(), |tree| {
        for item in tree.scan_prefix([INDEX]) {
            let (key, _) = item.expect("read");
            tree.remove(key).expect("remove");
        }
        tree.remove(INDEXED).expect("remove");
    });
    let store = Store::open(dir.path()).expect("an unindexed store opens");
    assert!(store.tree.contains_key(INDEXED).expect("read"));
    let mut pool = store.load_pool().expect("load");
    let again = pool.place_order(intake("A-1"), T0 + 2).expect("resend");
    assert_eq!((again.created, again.order.id), (false, done));
}
