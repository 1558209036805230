//! Orders through the pool, with time as a value: intake is idempotent,
//! unpaid holds end, payment allocates, nothing oversells.

use crate::alerts::AlertKind;
use crate::errors::PoolError;
use crate::events::StockKey;
use crate::orders::{OrderCustomer, OrderLine, OrderRules, OrderState, Orders, Reason, Service};
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;
use std::collections::HashMap;

const T0: u64 = 1_800_000_000_000;
const MIN: u64 = 60_000;

fn pool(units: i64) -> Pool {
    let mut stock = HashMap::new();
    for sku in ["SKU-A", "SKU-B"] {
        let key = StockKey {
            sku: sku.into(),
            location: "A-01".into(),
            lot: String::new(),
        };
        stock.insert(key, units);
    }
    let mut pool = Pool::from_parts(stock, HashMap::new(), 1, 1);
    pool.set_order_rules(OrderRules {
        site: "site-1".into(),
        ..OrderRules::default()
    });
    pool
}

fn intake(id: &str, paid: bool, qty: i64) -> OrderIntake {
    OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: "web".into(),
        service: Service::Standard,
        paid,
        customer: OrderCustomer {
            customer_key: "c-1".into(),
            ..OrderCustomer::default()
        },
        wrapped_key: Some(vec![1, 2, 3]),
        lines: vec![OrderLine {
            sku: "SKU-A".into(),
            quantity: qty,
        }],
        tags: Vec::new(),
        problems: Vec::new(),
        fixes: Vec::new(),
    }
}

fn states(pool: &Pool, id: u64) -> Vec<OrderState> {
    let order = pool.order(id).expect("order");
    order.history.iter().map(|s| s.state).collect()
}

#[test]
fn a_resent_order_is_taken_in_once() {
    let mut p = pool(10);
    let first = p.place_order(intake("A-1", false, 2), T0).expect("placed");
    let again = p
        .place_order(intake("A-1", false, 2), T0 + 5)
        .expect("again");
    assert!(first.created);
    assert!(!again.created);
    assert_eq!(first.order.id, again.order.id);
    assert_eq!(p.orders().count(), 1);
    assert_eq!(p.available("SKU-A"), 8, "held once, not twice");
    assert_eq!(p.customer("c-1").expect("read").map(|c| c.orders), Some(1));
}

#[test]
fn an_unpaid_order_holds_stock_until_its_hold_ends() {
    let mut p = pool(10);
    let id = p
        .place_order(intake("A-2", false, 3), T0)
        .expect("placed")
        .order
        .id;
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Held));
    assert_eq!(p.available("SKU-A"), 7);
    p.sweep(T0 + 19 * MIN);
    assert_eq!(p.available("SKU-A"), 7, "still held before 20 minutes");
    p.sweep(T0 + 20 * MIN);
    assert_eq!(p.available("SKU-A"), 10, "released at 20 minutes");
    let order = p.order(id).expect("order");
    assert_eq!(order.state, OrderState::Exception);
    assert_eq!(order.exceptions[0].code, "payment_timeout");
    // Paid late: held again, allocated, routed.
    let paid = p.order_paid(id, T0 + 25 * MIN).expect("paid");
    assert_eq!(paid.state, OrderState::Routed);
    assert_eq!(p.available("SKU-A"), 7);
}

#[test]
fn an_order_waiting_in_exception_can_be_cancelled() {
    let mut p = pool(10);
    let id = p
        .place_order(intake("A-9", false, 3), T0)
        .expect("placed")
        .order
        .id;
    p.sweep(T0 + 20 * MIN);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Exception));
    let cancelled = p.cancel_order(id, T0 + 21 * MIN).expect("cancel");
    assert_eq!(cancelled.state, OrderState::Cancelled);
    assert_eq!(p.available("SKU-A"), 10);
    assert!(p.cancel_order(id, T0 + 22 * MIN).is_err(), "cancelled once");
}

#[test]
fn payment_turns_the_hold_into_an_allocation_and_routes() {
    let mut p = pool(10);
    let id = p
        .place_order(intake("A-3", false, 4), T0)
        .expect("placed")
        .order
        .id;
    let order = p.order_paid(id, T0 + MIN).expect("paid");
    assert_eq!(order.state, OrderState::Routed);
    assert_eq!(order.site, "site-1");
    assert!(order.route_reason.contains("single-site"));
    p.sweep(T0 + 60 * MIN);
    assert_eq!(
        p.available("SKU-A"),
        6,
        "a paid order's stock stays allocated"
    );
    let again = p.order_paid(id, T0 + 61 * MIN).expect("paid twice");
    assert_eq!(
        again.history.len(),
        order.history.len(),
        "paying twice changes nothing"
    );
    assert_eq!(
        states(&p, id),
        [
            OrderState::Received,
            OrderState::Validated,
            OrderState::Held,
            OrderState::Paid,
            OrderState::Routed
        ]
    );
}

#[test]
fn an_order_that_cannot_be_filled_is_a_backorder_not_an_oversell() {
    let mut p = pool(5);
    let a = p.place_order(intake("B-1", true, 4), T0).expect("a").order;
    let b = p.place_order(intake("B-2", true, 4), T0).expect("b").order;
    assert_eq!(a.state, OrderState::Routed);
    assert_eq!(b.state, OrderState::Exception);
    assert_eq!(b.exceptions[0].code, "backorder");
    assert_eq!(p.available("SKU-A"), 1);
    let changes = p.take_changes();
    assert!(changes
        .alerts
        .iter()
        .any(|(_, a)| a.kind == AlertKind::Backorder));
}

#[test]
fn an_order_this_site_cannot_fill_names_the_site_whose_published_stock_can() {
    use crate::orders::routing::{RoutingTable, SiteRoute};
    let mut p = pool(1);
    let site = |s: &str, priority| SiteRoute {
        site: s.into(),
        regions: Vec::new(),
        priority,
    };
    p.set_order_rules(OrderRules {
        site: "site-1".into(),
        routing: RoutingTable {
            sites: vec![site("site-1", 0), site("site-2", 1), site("site-3", 2)],
            ..RoutingTable::default()
        },
        ..OrderRules::default()
    });
    // Nothing published yet: a plain backorder that says so.
    let none = p.place_order(intake("P-1", true, 4), T0).expect("p1").order;
    assert_eq!(none.state, OrderState::Exception);
    assert!(
        none.exceptions[0]
            .message
            .contains("site-2 (stock not visible"),
        "{}",
        none.exceptions[0].message
    );
    assert!(!p.peer_stock("site-1", "SKU-A", 100, T0), "its own site");
    assert!(p.peer_stock("site-2", "SKU-A", 3, T0));
    assert!(p.peer_stock("site-3", "SKU-A", 50, T0));
    let routed = p.place_order(intake("P-2", true, 4), T0).expect("p2").order;
    assert_eq!(routed.state, OrderState::Exception);
    let why = &routed.exceptions[0].message;
    assert!(why.contains("site site-3 can fill every line"), "{why}");
    assert!(why.contains("site-2 (cannot fill every line)"), "{why}");
    assert!(
        routed.route_reason.starts_with("site-3"),
        "{}",
        routed.route_reason
    );
    assert_eq!(p.available("SKU-A"), 1, "nothing held here");
    // A newer figure from site-3 without the stock: backorder again.
    assert!(p.peer_stock("site-3", "SKU-A", 0, T0 + 1));
    let after = p.place_order(intake("P-3", true, 4), T0).expect("p3").order;
    let why = &after.exceptions[0].message;
    assert!(why.contains("site-3 (cannot fill every line)"), "{why}");
    assert!(!why.contains("handed over"), "{why}");
}

#[test]
fn problems_from_the_cleaner_and_over_limit_lines_wait_for_an_operator() {
    let mut p = pool(5_000);
    let mut bad = intake("C-1", true, 2);
    bad.problems.push(Reason {
        code: "district_not_in_city".into(),
        field: "address.district".into(),
        message: "district not in city".into(),
    });
    let held = p.place_order(bad, T0).expect("c1").order;
    assert_eq!(held.state, OrderState::Exception);
    assert_eq!(p.available("SKU-A"), 5_000, "nothing held for an exception");
    let big = p
        .place_order(intake("C-2", true, 1_001), T0)
        .expect("c2")
        .order;
    assert_eq!(big.exceptions[0].code, "quantity_over_limit");
    // Other orders are not blocked.
    let fine = p.place_order(intake("C-3", true, 1), T0).expect("c3").order;
    assert_eq!(fine.state, OrderState::Routed);
    // The operator corrects the first; it goes through.
    let again = p
        .resubmit_order(held.id, None, Vec::new(), T0 + MIN)
        .expect("resubmit");
    assert_eq!(again.state, OrderState::Routed);
    assert_eq!(p.available("SKU-A"), 5_000 - 1 - 2);
}

#[test]
fn malformed_orders_are_refused_with_a_reason() {
    let mut p = pool(5);
    for (qty, want) in [(0, "quantity"), (-1, "quantity")] {
        match p.place_order(intake("D-1", true, qty), T0) {
            Err(PoolError::Invalid(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("expected invalid, got {other:?}"),
        }
    }
    let mut no_lines = intake("D-2", true, 1);
    no_lines.lines.clear();
    assert!(matches!(
        p.place_order(no_lines, T0),
        Err(PoolError::Invalid(_))
    ));
    assert_eq!(p.orders().count(), 0);
}

#[test]
fn a_resent_order_is_checked_before_the_known_one_is_answered() {
    let mut p = pool(5);
    let placed = p.place_order(intake("D-1", true, 1), T0).unwrap();
    assert!(placed.created);
    let again = p.place_order(intake("D-1", true, 1), T0).unwrap();
    assert!(!again.created);
    assert_eq!(again.order.id, placed.order.id);
    match p.place_order(intake("D-1", true, 0), T0) {
        Err(PoolError::Invalid(m)) => assert!(m.contains("quantity"), "{m}"),
        other => panic!("a resend with a bad line must be refused, got {other:?}"),
    }
}

#[test]
fn cancelling_releases_the_stock() {
    let mut p = pool(5);
    let id = p
        .place_order(intake("E-1", true, 5), T0)
        .expect("e1")
        .order
        .id;
    assert_eq!(p.available("SKU-A"), 0);
    let order = p.cancel_order(id, T0 + MIN).expect("cancel");
    assert_eq!(order.state, OrderState::Cancelled);
    assert_eq!(p.available("SKU-A"), 5);
    assert!(p.cancel_order(id, T0 + MIN).is_err(), "cancelled once");
    assert!(
        p.order_paid(id, T0 + MIN).is_err(),
        "a cancelled order cannot be paid"
    );
}

#[test]
fn an_order_without_progress_raises_one_stuck_alert() {
    let mut p = pool(5);
    let id = p
        .place_order(intake("F-1", true, 1), T0)
        .expect("f1")
        .order
        .id;
    assert_eq!(p.flag_stuck_orders(T0 + 119 * MIN), 0);
    assert_eq!(p.flag_stuck_orders(T0 + 120 * MIN), 1);
    assert_eq!(p.flag_stuck_orders(T0 + 180 * MIN), 0, "raised once");
    let order = p.order(id).expect("order");
    assert!(order.exceptions.iter().any(|r| r.code == "stuck"));
    let changes = p.take_changes();
    let stuck = changes
        .alerts
        .iter()
        .filter(|(_, a)| a.kind == AlertKind::StuckOrder)
        .count();
    assert_eq!(stuck, 1);
}

#[test]
fn vip_orders_are_express_and_due_in_two_hours() {
    let mut p = pool(5);
    let mut vip = intake("G-1", true, 1);
    vip.tags.push("VIP".into());
    let order = p.place_order(vip, T0).expect("g1").order;
    assert_eq!(order.service, Service::Express);
    assert_eq!(order.due_ms, T0 + 2 * 3_600_000);
    let std = p.place_order(intake("G-2", true, 1), T0).expect("g2").order;
    assert!(std.due_ms > T0 + 24 * 3_600_000);
}

#[test]
fn orders_survive_a_reload_from_their_changes() {
    let mut p = pool(10);
    let id = p
        .place_order(intake("H-1", false, 2), T0)
        .expect("h1")
        .order
        .id;
    let changes = p.take_changes();
    assert_eq!(changes.orders.len(), 1);
    assert_eq!(changes.customers.len(), 1);
    let loaded = Orders::load(changes.orders.clone(), changes.customers.clone(), 0, 0);
    assert_eq!(loaded.book.get(id).map(|o| o.state), Some(OrderState::Held));
    assert_eq!(loaded.by_hold.values().copied().collect::<Vec<_>>(), [id]);
    assert_eq!(loaded.book.next_id(), id + 1);
}

#[test]
fn a_failed_payment_releases_the_hold_and_blocks_no_other_order() {
    let mut p = pool(5);
    let failing = p
        .place_order(intake("A-9", false, 5), T0)
        .expect("placed")
        .order
        .id;
    assert_eq!(p.available("SKU-A"), 0, "all five held");
    let order = p
        .order_payment_failed(failing, "card declined", T0 + MIN)
        .expect("payment failed");
    assert_eq!(order.state, OrderState::Exception);
    assert_eq!(order.exceptions[0].code, "payment_failed");
    assert!(order.exceptions[0].message.contains("card declined"));
    assert_eq!(order.reservation, None);
    assert_eq!(p.available("SKU-A"), 5, "released at once, not at 20 min");
    // Another order takes the stock meanwhile.
    let other = p.place_order(intake("A-10", true, 3), T0 + 2 * MIN);
    assert_eq!(other.expect("placed").order.state, OrderState::Routed);
    // The sweep later finds no hold of the failed order to end.
    p.sweep(T0 + 30 * MIN);
    assert_eq!(p.available("SKU-A"), 2);
    // A retried payment holds what is left, or backorders: never oversells.
    let paid = p.order_paid(failing, T0 + 31 * MIN).expect("paid");
    assert_eq!(paid.state, OrderState::Exception, "5 wanted, 2 left");
    assert!(p.available("SKU-A") >= 0);
    // A paid order's payment cannot fail afterwards.
    let paid_id = p
        .place_order(intake("A-11", true, 1), T0 + 32 * MIN)
        .expect("placed")
        .order
        .id;
    assert!(matches!(
        p.order_payment_failed(paid_id, "late", T0 + 33 * MIN),
        Err(PoolError::OrderWrongState { .. })
    ));
}

#[test]
fn a_payment_after_a_failed_one_holds_and_routes() {
    let mut p = pool(10);
    let id = p
        .place_order(intake("A-12", false, 2), T0)
        .expect("placed")
        .order
        .id;
    p.order_payment_failed(id, "3-D Secure refused", T0 + MIN)
        .expect("failed");
    let paid = p.order_paid(id, T0 + 2 * MIN).expect("paid");
    assert_eq!(paid.state, OrderState::Routed);
    assert!(paid.exceptions.is_empty());
    assert_eq!(p.available("SKU-A"), 8);
}

#[test]
fn a_handed_over_order_is_routed_once_the_other_site_takes_it_or_a_backorder_if_refused() {
    use crate::orders::routing::{RoutingTable, SiteRoute};
    let mut p = pool(1);
    let site = |s: &str| SiteRoute {
        site: s.into(),
        regions: Vec::new(),
        priority: 0,
    };
    p.set_order_rules(OrderRules {
        site: "site-1".into(),
        routing: RoutingTable {
            sites: vec![site("site-1"), site("site-3")],
            ..RoutingTable::default()
        },
        ..OrderRules::default()
    });
    assert!(p.peer_stock("site-3", "SKU-A", 50, T0));
    let order = p.place_order(intake("H-1", true, 4), T0).expect("h1").order;
    assert_eq!(order.state, OrderState::Exception);
    assert_eq!(order.exceptions[0].code, "handoff_pending");
    assert_eq!(p.pending_handoffs(), vec![(order.id, "site-3".to_string())]);
    assert_eq!(p.available("SKU-A"), 1, "nothing held here");
    // Only the site it went to may answer, and one answer is final.
    assert!(p.handoff_accepted(order.id, "site-2", 9, T0).is_err());
    let taken = p
        .handoff_accepted(order.id, "site-3", 41, T0 + 5)
        .expect("taken");
    assert_eq!(taken.state, OrderState::Routed);
    assert_eq!(taken.site, "site-3");
    assert!(taken.exceptions.is_empty());
    assert!(
        taken.route_reason.contains("its order 41"),
        "{}",
        taken.route_reason
    );
    let again = p
        .handoff_accepted(order.id, "site-3", 41, T0 + 6)
        .expect("again");
    assert_eq!(
        again.history.len(),
        taken.history.len(),
        "a repeat changes nothing"
    );
    assert!(p.handoff_accepted(order.id, "site-3", 42, T0 + 6).is_err());
    assert!(p.pending_handoffs().is_empty());
    assert_eq!(
        p.available("SKU-A"),
        1,
        "nothing held here after the handover"
    );
    // Refused by the other site: a backorder here, with its reason.
    let second = p
        .place_order(intake("H-2", true, 4), T0 + 8)
        .expect("h2")
        .order;
    assert_eq!(second.exceptions[0].code, "handoff_pending");
    let refused = p
        .handoff_refused(second.id, "site-3", "insufficient stock", T0 + 9)
        .expect("refused");
    assert_eq!(refused.exceptions[0].code, "backorder");
    assert!(refused.exceptions[0]
        .message
        .contains("site site-3 refused"));
    assert!(refused.handoff.is_none());
    assert!(p.pending_handoffs().is_empty());
    assert!(p
        .handoff_refused(order.id, "site-3", "late", T0 + 10)
        .is_ok());
    assert_eq!(p.order(order.id).expect("h1").state, OrderState::Routed);
}
