//! The planner as a pure function: urgency order, caps, FEFO, whole
//! orders only.

use super::tests::{order, rules, stock, T0};
use super::*;
use crate::orders::Service;

#[test]
fn express_first_then_by_due_time_within_caps() {
    let orders = [
        order(1, Service::Standard, T0 + 100, &[("X", 1)]),
        order(2, Service::Express, T0 + 500, &[("X", 1)]),
        order(3, Service::Express, T0 + 200, &[("X", 1)]),
        order(4, Service::Express, T0 + 900, &[("X", 1)]),
    ];
    let plan = plan(&orders, &stock(&[("X", "A-01", "", 10)]), &rules());
    let lists: Vec<Vec<u64>> = plan.lists.iter().map(|l| l.orders.clone()).collect();
    assert_eq!(lists, [vec![3, 2], vec![4], vec![1]]);
}

#[test]
fn an_order_over_the_line_cap_fills_lists_of_its_own() {
    let lines = [("P", 1), ("Q", 1), ("R", 1), ("S", 1), ("T", 1)];
    let cells: Vec<(&str, &str, &str, i64)> =
        lines.iter().map(|(sku, _)| (*sku, "A-01", "", 5)).collect();
    let orders = [
        order(1, Service::Standard, T0, &[("P", 1)]),
        order(2, Service::Standard, T0 + 1, &lines),
    ];
    let plan = plan(&orders, &stock(&cells), &rules());
    let shape: Vec<(Vec<u64>, usize)> = plan
        .lists
        .iter()
        .map(|l| (l.orders.clone(), l.lines.len()))
        .collect();
    assert_eq!(shape, [(vec![1], 1), (vec![2], 4), (vec![2], 1)]);
}

#[test]
fn fefo_then_no_expiry_then_walking_order() {
    let cells = [
        ("X", "A-01", "plain", 10),
        ("X", "B-02", "L1@2027-05-01", 2),
        ("X", "A-03", "L2@2027-03-01", 1),
        ("X", "A-02", "L3@2027-05-01", 2),
    ];
    let plan = plan(
        &[order(1, Service::Standard, T0, &[("X", 6)])],
        &stock(&cells),
        &rules(),
    );
    let got: Vec<(&str, &str, i64)> = plan.lists[0]
        .lines
        .iter()
        .map(|l| (l.location.code(), l.lot.as_str(), l.quantity))
        .collect();
    // Lots chosen by expiry (L2, then L3 and L1 by location, then the lot
    // without one), lines listed in walking order.
    let want = [
        ("A-01", "plain", 1),
        ("A-02", "L3@2027-05-01", 2),
        ("A-03", "L2@2027-03-01", 1),
        ("B-02", "L1@2027-05-01", 2),
    ];
    assert_eq!(got, want);
}

#[test]
fn an_order_the_stock_cannot_cover_takes_nothing() {
    let orders = [
        order(1, Service::Express, T0, &[("X", 3), ("Y", 9)]),
        order(2, Service::Standard, T0, &[("X", 5)]),
    ];
    let view = stock(&[("X", "A-01", "", 5), ("Y", "A-02", "", 2)]);
    let plan = plan(&orders, &view, &rules());
    let short = Unplannable::Short {
        sku: "Y".into(),
        wanted: 9,
        found: 2,
    };
    assert_eq!(plan.unplanned, [(1, short)]);
    assert_eq!(plan.lists.len(), 1);
    assert_eq!(plan.lists[0].orders, [2]);
}
