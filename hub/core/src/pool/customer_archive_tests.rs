//! Customers leave memory at every commit (an archive attached, as the hub
//! attaches its store) and come back for the group that needs one: the
//! book never holds more than the customers a group touched, and no
//! command makes a second record for a customer who has one.

use super::archive_tests::{commit, pool as archived};
use crate::orders::{OrderArchive, OrderCustomer};
use crate::pool::customers::VIP_AFTER_ORDERS;
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;

const T0: u64 = 1_800_000_000_000;
const DAY: u64 = 86_400_000;

fn pool() -> (Pool, std::sync::Arc<crate::orders::ArchiveInMemory>) {
    archived(1_000)
}

/// An order of one unit for `customer`, whose data key (wrapped) is
/// `[wrapped]`.
fn intake(id: &str, customer: &str, wrapped: u8) -> OrderIntake {
    OrderIntake {
        wrapped_key: Some(vec![wrapped]),
        ..super::archive_tests::intake(id, customer)
    }
}

#[test]
fn customers_leave_memory_at_commit_and_keep_their_history_and_key() {
    let (mut p, archive) = pool();
    for n in 0..VIP_AFTER_ORDERS {
        let customer = format!("c-{}", n % 2);
        p.place_order(intake(&format!("O-{n}"), &customer, n as u8), T0 + n)
            .expect("placed");
        commit(&mut p, &archive);
        assert_eq!(p.orders.book.customers_held(), 0, "after order {n}");
    }
    let stored = archive.customer("c-0").expect("read").expect("stored");
    assert_eq!(stored.orders, VIP_AFTER_ORDERS / 2);
    assert_eq!(stored.first_ms, T0);
    assert_eq!(
        stored.wrapped_key,
        Some(vec![0]),
        "the first order's key stays the customer's key"
    );
    // Past the VIP threshold across commits, from the stored count.
    for n in VIP_AFTER_ORDERS..2 * VIP_AFTER_ORDERS {
        p.place_order(intake(&format!("O-{n}"), "c-0", 9), T0 + n)
            .expect("placed");
        commit(&mut p, &archive);
    }
    let c0 = p.customer("c-0").expect("read").expect("recalled").clone();
    assert_eq!(c0.orders, VIP_AFTER_ORDERS * 3 / 2);
    assert!(c0.is_vip(), "{:?}", c0.tags);
}

#[test]
fn tags_merges_and_splits_reach_customers_out_of_memory() {
    let (mut p, archive) = pool();
    let a = p.place_order(intake("A-1", "c-a", 1), T0).expect("placed");
    p.place_order(intake("B-1", "c-b", 2), T0).expect("placed");
    commit(&mut p, &archive);
    p.set_customer_tags("c-a", vec!["wholesale".into()], "op", T0 + 1)
        .expect("tagged");
    commit(&mut p, &archive);
    let moved = vec![(
        a.order.id,
        OrderCustomer {
            customer_key: "c-b".into(),
            ..OrderCustomer::default()
        },
    )];
    let merged = p
        .merge_customers("c-a", "c-b", moved, "op", "one person", T0 + 2)
        .expect("merged");
    assert_eq!(merged.orders, 2);
    assert!(merged.tags.contains(&"wholesale".to_string()));
    let changes = commit(&mut p, &archive);
    assert_eq!(changes.removed_customers, ["c-a"]);
    assert_eq!(archive.customer("c-a").expect("read"), None);
    assert_eq!(p.customer("c-a").expect("read"), None);
    assert!(p
        .set_customer_tags("c-a", Vec::new(), "op", T0 + 3)
        .is_err());
    assert_eq!(p.orders.book.customers_held(), 0);
}

#[test]
fn the_archive_check_finds_stored_customers_and_destroys_their_keys() {
    let (mut p, archive) = pool();
    p.place_order(intake("O-1", "c-old", 1), T0)
        .expect("placed");
    p.place_order(intake("O-2", "c-new", 2), T0 + 300 * DAY)
        .expect("placed");
    commit(&mut p, &archive);
    assert_eq!(p.orders.book.customers_held(), 0);
    let archived = p.archive_inactive(T0 + 366 * DAY).expect("read");
    assert_eq!(archived, 1);
    commit(&mut p, &archive);
    let old = archive.customer("c-old").expect("read").expect("kept");
    assert_eq!(old.wrapped_key, None);
    assert_eq!(old.orders, 1, "the statistics stay");
    let new = archive.customer("c-new").expect("read").expect("kept");
    assert_eq!(new.wrapped_key, Some(vec![2]));
}

#[test]
fn a_customer_merged_away_stays_gone_for_the_rest_of_its_group() {
    let (mut p, archive) = pool();
    for (id, key) in [("A-1", "c-a"), ("B-1", "c-b"), ("C-1", "c-c")] {
        p.place_order(intake(id, key, 1), T0).expect("placed");
    }
    commit(&mut p, &archive);
    let moved = |ids: Vec<u64>, to: &str| -> Vec<(u64, OrderCustomer)> {
        let customer = OrderCustomer {
            customer_key: to.into(),
            ..OrderCustomer::default()
        };
        ids.into_iter().map(|id| (id, customer.clone())).collect()
    };
    let of_a = p.orders_of_customer("c-a").expect("read");
    p.merge_customers("c-a", "c-b", moved(of_a, "c-b"), "op", "one", T0 + 1)
        .expect("merged");
    // Still in the store until the commit, but gone for this group.
    assert_eq!(p.customer("c-a").expect("read"), None);
    let of_c = p.orders_of_customer("c-c").expect("read");
    let refused = p.merge_customers("c-c", "c-a", moved(of_c, "c-a"), "op", "two", T0 + 2);
    assert!(refused.is_err(), "{refused:?}");
    // A new order with A's phone makes A again, and the commit keeps it.
    p.place_order(intake("A-2", "c-a", 7), T0 + 3)
        .expect("placed");
    let changes = commit(&mut p, &archive);
    assert!(
        changes.removed_customers.is_empty(),
        "{:?}",
        changes.removed_customers
    );
    let a = archive.customer("c-a").expect("read").expect("made again");
    assert_eq!((a.orders, a.wrapped_key), (1, Some(vec![7])));
    assert!(
        archive.customer("c-c").expect("read").is_some(),
        "C untouched"
    );
}
