//! Customers: derived and operator tags, merge and split, archival by
//! destroying the data key, each audited.

use crate::events::StockKey;
use crate::orders::{OrderCustomer, OrderLine, OrderRules, Service};
use crate::pool::customers::VIP_AFTER_ORDERS;
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;
use std::collections::HashMap;

const T0: u64 = 1_800_000_000_000;
const DAY: u64 = 86_400_000;

fn pool() -> Pool {
    let key = StockKey {
        sku: "TEA".into(),
        location: "A-01".into(),
        lot: String::new(),
    };
    let mut pool = Pool::from_parts(HashMap::from([(key, 1_000)]), HashMap::new(), 1, 1);
    pool.set_order_rules(OrderRules {
        site: "s1".into(),
        ..OrderRules::default()
    });
    pool
}

fn order(id: &str, customer: &str) -> OrderIntake {
    OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: "web".into(),
        service: Service::Standard,
        paid: true,
        customer: OrderCustomer {
            customer_key: customer.into(),
            sealed: vec![("name".into(), vec![1])],
            ..OrderCustomer::default()
        },
        wrapped_key: Some(vec![7; 61]),
        lines: vec![OrderLine {
            sku: "TEA".into(),
            quantity: 1,
        }],
        tags: Vec::new(),
        problems: Vec::new(),
        fixes: Vec::new(),
    }
}

#[test]
fn a_frequent_customer_becomes_vip_and_their_orders_express() {
    let mut p = pool();
    for i in 0..VIP_AFTER_ORDERS {
        p.place_order(order(&format!("V-{i}"), "c-1"), T0)
            .expect("placed");
    }
    assert!(p.customer("c-1").expect("read").is_some_and(|c| c.is_vip()));
    let next = p
        .place_order(order("V-last", "c-1"), T0)
        .expect("placed")
        .order;
    assert_eq!(next.service, Service::Express);
}

#[test]
fn operator_tags_are_set_and_audited() {
    let mut p = pool();
    p.place_order(order("T-1", "c-1"), T0).expect("placed");
    let c = p
        .set_customer_tags("c-1", vec!["frequent_returns".into()], "ops-anna", T0)
        .expect("set");
    assert_eq!(c.tags, ["frequent_returns"]);
    assert!(p
        .set_customer_tags("c-1", vec!["two words".into()], "ops", T0)
        .is_err());
    assert!(p.set_customer_tags("c-404", vec![], "ops", T0).is_err());
    let changes = p.take_changes();
    let actions: Vec<&str> = changes
        .audits
        .iter()
        .map(|(_, a)| a.action.as_str())
        .collect();
    assert_eq!(actions, ["set_tags"]);
}

#[test]
fn merging_moves_orders_and_removes_the_record() {
    let mut p = pool();
    let a = p.place_order(order("M-1", "c-a"), T0).expect("a").order;
    p.place_order(order("M-2", "c-b"), T0 + DAY).expect("b");
    let mut moved = a.customer.clone();
    moved.customer_key = "c-b".into();
    let merged = p
        .merge_customers(
            "c-a",
            "c-b",
            vec![(a.id, moved)],
            "ops",
            "same person",
            T0 + 2 * DAY,
        )
        .expect("merged");
    assert_eq!(merged.orders, 2);
    assert_eq!(merged.first_ms, T0);
    assert!(p.customer("c-a").expect("read").is_none());
    assert_eq!(
        p.order(a.id).map(|o| o.customer.customer_key.as_str()),
        Some("c-b")
    );
    let changes = p.take_changes();
    assert_eq!(changes.removed_customers, ["c-a"]);
    assert!(changes
        .audits
        .iter()
        .any(|(_, e)| e.action == "merge_customer" && e.reason == "same person"));
}

#[test]
fn splitting_gives_an_order_its_own_record() {
    let mut p = pool();
    let a = p.place_order(order("S-1", "c-a"), T0).expect("a").order;
    p.place_order(order("S-2", "c-a"), T0).expect("b");
    let mut own = a.customer.clone();
    own.customer_key = "c-new".into();
    let new = p
        .split_customer(
            a.id,
            own,
            vec![9; 61],
            "ops",
            "two people share a phone",
            T0,
        )
        .expect("split");
    assert_eq!(new.orders, 1);
    assert_eq!(p.customer("c-a").expect("read").map(|c| c.orders), Some(1));
    assert_eq!(
        p.customer("c-new")
            .expect("read")
            .and_then(|c| c.wrapped_key.clone()),
        Some(vec![9; 61])
    );
}

#[test]
fn inactive_customers_lose_their_key_and_keep_their_counts() {
    let mut p = pool();
    p.place_order(order("A-1", "c-old"), T0).expect("old");
    p.place_order(order("A-2", "c-new"), T0 + 300 * DAY)
        .expect("new");
    assert_eq!(p.archive_inactive(T0 + 364 * DAY).expect("read"), 0);
    // At exactly 365 days it is not yet past the limit.
    assert_eq!(p.archive_inactive(T0 + 365 * DAY).expect("read"), 0);
    assert_eq!(p.archive_inactive(T0 + 366 * DAY).expect("read"), 1);
    let old = p.customer("c-old").expect("read").expect("kept");
    assert_eq!(old.wrapped_key, None, "the data key is destroyed");
    assert_eq!(old.orders, 1, "statistics stay");
    assert!(p
        .customer("c-new")
        .expect("read")
        .and_then(|c| c.wrapped_key.clone())
        .is_some());
    let changes = p.take_changes();
    assert!(changes
        .audits
        .iter()
        .any(|(_, e)| e.action == "archive_customer" && e.who == "hub"));
}
