//! Work queues through the pool: a paid order becomes a pick list on a
//! device's queue, scans naming its lines close them once, consume the
//! order's allocation and move the order to picked; a short pick is a
//! discrepancy and, by the rules, a re-pick or a backorder.

use crate::alerts::AlertKind;
use crate::events::StockKey;
use crate::orders::{OrderCustomer, OrderLine, OrderRules, OrderState, Service};
use crate::pool::orders::OrderIntake;
use crate::pool::Pool;
use crate::tasks::{DeviceZone, ShortDecision, TaskRules};
use protocol::{EventBatch, Movement, MovementKind};
use std::collections::HashMap;

pub(super) const T0: u64 = 1_800_000_000_000;

pub(super) fn pool(on_short: ShortDecision) -> Pool {
    let mut stock = HashMap::new();
    for (sku, location, units) in [("TEA", "A-01-1", 10), ("CUP", "B-02-1", 4)] {
        let key = StockKey {
            sku: sku.into(),
            location: location.into(),
            lot: String::new(),
        };
        stock.insert(key, units);
    }
    let mut pool = Pool::from_parts(stock, HashMap::new(), 1, 1);
    pool.set_order_rules(OrderRules {
        site: "s1".into(),
        ..OrderRules::default()
    });
    let rules = TaskRules {
        site: "s1".into(),
        devices: vec![DeviceZone {
            device: "h1".into(),
            zone: String::new(),
        }],
        on_short,
        ..TaskRules::default()
    };
    pool.start_tasks(rules, T0);
    pool
}

pub(super) fn paid_order(pool: &mut Pool, id: &str, lines: &[(&str, i64)]) -> u64 {
    let intake = OrderIntake {
        platform: "own".into(),
        platform_order_id: id.into(),
        channel: "web".into(),
        service: Service::Express,
        paid: true,
        customer: OrderCustomer {
            customer_key: "c-1".into(),
            ..OrderCustomer::default()
        },
        wrapped_key: Some(vec![1]),
        lines: lines
            .iter()
            .map(|(sku, quantity)| OrderLine {
                sku: (*sku).into(),
                quantity: *quantity,
            })
            .collect(),
        tags: Vec::new(),
        problems: Vec::new(),
        fixes: Vec::new(),
    };
    let placed = pool.place_order(intake, T0).expect("placed");
    assert_eq!(placed.order.state, OrderState::Routed);
    placed.order.id
}

pub(super) fn scan(
    pool: &mut Pool,
    seq: u64,
    kind: MovementKind,
    sku: &str,
    loc: &str,
    qty: i64,
    task: &str,
) {
    let m = Movement {
        seq,
        kind,
        sku: sku.into(),
        location: loc.into(),
        to_location: None,
        lot: None,
        quantity: qty,
        device_time_ms: 0,
        task: Some(task.to_string()),
    };
    let batch = EventBatch {
        site: "s1".into(),
        device: "h1".into(),
        epoch: 7,
        first_seq: seq,
        movements: vec![m],
        auth_tag: None,
    };
    pool.apply_batch(&batch, T0 + seq, &Vec::new());
}

/// (task line reference, sku, location, quantity) of a device's queue.
pub(super) fn queue(pool: &Pool, device: &str) -> Vec<(String, String, String, i64)> {
    let q = pool.task_book().queue(device);
    q.tasks
        .iter()
        .flat_map(|t| {
            t.lines.iter().filter(|l| l.state.is_open()).map(move |l| {
                (
                    format!("{}:{}", t.id, l.line),
                    l.sku.clone(),
                    l.location.code().to_string(),
                    l.quantity,
                )
            })
        })
        .collect()
}

#[test]
fn a_paid_order_is_picked_through_its_task_lines_exactly_once() {
    let mut p = pool(ShortDecision::RePick);
    let id = paid_order(&mut p, "A-1", &[("TEA", 3), ("CUP", 1)]);
    p.plan_tasks(T0 + 1);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picking));
    assert_eq!(p.take_queue_pushes(), ["h1".to_string()]);
    assert_eq!(p.task_book().version("h1"), 1);
    let lines = queue(&p, "h1");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (lines[0].2.as_str(), lines[1].2.as_str()),
        ("A-01-1", "B-02-1"),
        "walking order"
    );
    let (tea, cup) = (lines[0].0.clone(), lines[1].0.clone());
    scan(&mut p, 1, MovementKind::Pick, "TEA", "A-01-1", 3, &tea);
    // The same line again (a second scan, not a resend): stock moves, the
    // line is not closed twice, and an alert says why.
    scan(&mut p, 2, MovementKind::Pick, "TEA", "A-01-1", 3, &tea);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picking));
    scan(&mut p, 3, MovementKind::Pick, "CUP", "B-02-1", 1, &cup);
    let order = p.order(id).expect("order");
    assert_eq!(order.state, OrderState::Picked);
    assert_eq!(p.on_hand(&key("TEA", "A-01-1")), 4, "10 - 3 - 3 scanned");
    assert_eq!(p.on_hand(&key("CUP", "B-02-1")), 3);
    for sku in ["TEA", "CUP"] {
        let reserved = p.level(sku).map(|l| l.reserved);
        assert_eq!(
            reserved,
            Some(0),
            "{sku}: the order's allocation is consumed"
        );
    }
    assert!(queue(&p, "h1").is_empty(), "the queue is empty once picked");
}

#[test]
fn a_resent_batch_closes_nothing_twice() {
    let mut p = pool(ShortDecision::RePick);
    let id = paid_order(&mut p, "A-2", &[("TEA", 2)]);
    p.plan_tasks(T0 + 1);
    let line = queue(&p, "h1")[0].0.clone();
    scan(&mut p, 1, MovementKind::Pick, "TEA", "A-01-1", 2, &line);
    scan(&mut p, 1, MovementKind::Pick, "TEA", "A-01-1", 2, &line);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picked));
    assert_eq!(p.on_hand(&key("TEA", "A-01-1")), 8, "applied once");
}

#[test]
fn a_short_pick_is_a_discrepancy_and_a_backorder_when_configured() {
    let mut p = pool(ShortDecision::Backorder);
    let id = paid_order(&mut p, "A-3", &[("TEA", 5)]);
    p.plan_tasks(T0 + 1);
    let line = queue(&p, "h1")[0].0.clone();
    scan(&mut p, 1, MovementKind::Pick, "TEA", "A-01-1", 2, &line);
    let order = p.order(id).expect("order");
    assert_eq!(order.state, OrderState::Exception);
    assert_eq!(order.exceptions[0].code, "short_pick");
    let kinds: Vec<AlertKind> = p
        .take_changes()
        .alerts
        .iter()
        .map(|(_, a)| a.kind)
        .collect();
    assert!(kinds.contains(&AlertKind::ShortPick), "{kinds:?}");
    // The count task of the discrepancy joins the queue at the next sweep.
    p.sweep_tasks(T0 + 2);
    let counts = queue(&p, "h1");
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        (counts[0].1.as_str(), counts[0].2.as_str()),
        ("TEA", "A-01-1")
    );
}

#[test]
fn scans_naming_unknown_lines_still_move_stock() {
    let mut p = pool(ShortDecision::RePick);
    scan(&mut p, 1, MovementKind::Pick, "TEA", "A-01-1", 1, "999:0");
    scan(&mut p, 2, MovementKind::Pick, "TEA", "A-01-1", 1, "res-77");
    assert_eq!(p.on_hand(&key("TEA", "A-01-1")), 8);
}

fn key(sku: &str, location: &str) -> StockKey {
    StockKey {
        sku: sku.into(),
        location: location.into(),
        lot: String::new(),
    }
}

#[test]
fn without_devices_orders_stay_routed_until_a_start_with_devices() {
    let mut p = pool(ShortDecision::RePick);
    p.start_tasks(TaskRules::default(), T0);
    let id = paid_order(&mut p, "A-4", &[("TEA", 1)]);
    p.plan_tasks(T0 + 1);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Routed));
    assert!(p.take_queue_pushes().is_empty());
    let rules = TaskRules {
        site: "s1".into(),
        devices: vec![DeviceZone {
            device: "h2".into(),
            zone: String::new(),
        }],
        ..TaskRules::default()
    };
    p.start_tasks(rules, T0 + 2);
    p.plan_tasks(T0 + 3);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picking));
    assert_eq!(queue(&p, "h2").len(), 1);
}

#[test]
fn a_device_gone_too_long_loses_its_open_lines_and_only_those() {
    let mut p = pool(ShortDecision::RePick);
    let rules = TaskRules {
        site: "s1".into(),
        devices: ["h1", "h2"]
            .iter()
            .map(|d| DeviceZone {
                device: (*d).into(),
                zone: String::new(),
            })
            .collect(),
        offline_after_ms: 15 * 60_000,
        ..TaskRules::default()
    };
    p.start_tasks(rules, T0);
    let id = paid_order(&mut p, "A-5", &[("TEA", 2), ("CUP", 1)]);
    p.plan_tasks(T0 + 1);
    let (owner, other) = if queue(&p, "h1").is_empty() {
        ("h2", "h1")
    } else {
        ("h1", "h2")
    };
    let lines = queue(&p, owner);
    assert_eq!(lines.len(), 2);
    // The owner picks the first line, then goes quiet; the other device
    // keeps sending heartbeats.
    let m = Movement {
        seq: 1,
        kind: MovementKind::Pick,
        sku: lines[0].1.clone(),
        location: lines[0].2.clone(),
        to_location: None,
        lot: None,
        quantity: lines[0].3,
        device_time_ms: 0,
        task: Some(lines[0].0.clone()),
    };
    let batch = EventBatch {
        site: "s1".into(),
        device: owner.into(),
        epoch: 7,
        first_seq: 1,
        movements: vec![m],
        auth_tag: None,
    };
    p.device_seen(owner, T0 + 2);
    p.apply_batch(&batch, T0 + 2, &Vec::new());
    p.device_seen(other, T0 + 20 * 60_000);
    p.sweep_tasks(T0 + 10 * 60_000);
    assert_eq!(queue(&p, owner).len(), 1, "not gone long enough yet");
    p.sweep_tasks(T0 + 20 * 60_000);
    assert!(queue(&p, owner).is_empty(), "{:?}", queue(&p, owner));
    let moved = queue(&p, other);
    assert_eq!(moved.len(), 1, "only the open line moved: {moved:?}");
    assert_eq!(moved[0].1, lines[1].1);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picking));
    // The gone device comes back and scans the old line: it lands on the
    // live copy, once, and the order is picked; the copy is not open twice.
    let late = Movement {
        seq: 2,
        kind: MovementKind::Pick,
        sku: lines[1].1.clone(),
        location: lines[1].2.clone(),
        to_location: None,
        lot: None,
        quantity: lines[1].3,
        device_time_ms: 0,
        task: Some(lines[1].0.clone()),
    };
    let batch = EventBatch {
        site: "s1".into(),
        device: owner.into(),
        epoch: 7,
        first_seq: 2,
        movements: vec![late],
        auth_tag: None,
    };
    p.apply_batch(&batch, T0 + 21 * 60_000, &Vec::new());
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picked));
    assert!(queue(&p, other).is_empty(), "the copy is closed");
}

#[test]
fn packing_every_picked_unit_makes_the_order_packed_and_no_more() {
    let mut p = pool(ShortDecision::RePick);
    let id = paid_order(&mut p, "A-6", &[("TEA", 2), ("CUP", 1)]);
    p.plan_tasks(T0 + 1);
    let lines = queue(&p, "h1");
    let (tea, cup) = (lines[0].0.clone(), lines[1].0.clone());
    // Packing before picking is refused (an alert; nothing recorded).
    scan(&mut p, 1, MovementKind::Pack, "TEA", "PACK-1", 2, &tea);
    scan(&mut p, 2, MovementKind::Pick, "TEA", "A-01-1", 2, &tea);
    scan(&mut p, 3, MovementKind::Pick, "CUP", "B-02-1", 1, &cup);
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picked));
    scan(&mut p, 4, MovementKind::Pack, "TEA", "PACK-1", 1, &tea);
    scan(&mut p, 5, MovementKind::Pack, "TEA", "PACK-1", 2, &tea);
    assert_eq!(
        p.order(id).map(|o| o.state),
        Some(OrderState::Picked),
        "one TEA packed, the second scan of two is an over-pack"
    );
    scan(&mut p, 6, MovementKind::Pack, "TEA", "PACK-1", 1, &tea);
    scan(&mut p, 7, MovementKind::Pack, "CUP", "PACK-1", 1, &cup);
    let order = p.order(id).expect("order");
    assert_eq!(order.state, OrderState::Packed);
    let states: Vec<OrderState> = order.history.iter().map(|h| h.state).collect();
    assert!(states.ends_with(&[OrderState::Picking, OrderState::Picked, OrderState::Packed]));
    let refused = p
        .take_changes()
        .alerts
        .iter()
        .filter(|(_, a)| a.kind == AlertKind::TaskRefused)
        .map(|(_, a)| 1 + a.repeats)
        .sum::<u64>();
    // Same SKU and station: one alert, raised again once.
    assert_eq!(refused, 2, "the early pack and the over-pack");
}

#[test]
fn a_cancelled_order_leaves_the_lists_at_once_and_its_picked_units_go_back() {
    let mut p = pool(ShortDecision::RePick);
    let id = paid_order(&mut p, "C-1", &[("TEA", 3), ("CUP", 1)]);
    p.plan_tasks(T0 + 1);
    p.take_queue_pushes();
    let lines = queue(&p, "h1");
    scan(
        &mut p,
        1,
        MovementKind::Pick,
        "TEA",
        "A-01-1",
        3,
        &lines[0].0,
    );
    p.take_changes();
    p.cancel_order(id, T0 + 2).expect("cancelled while picking");
    assert!(queue(&p, "h1").is_empty(), "the cup line left the list");
    assert_eq!(
        p.take_queue_pushes(),
        ["h1".to_string()],
        "the device hears of it"
    );
    let alerts = p.take_changes().alerts;
    let put_back: Vec<&str> = alerts
        .iter()
        .filter(|(_, a)| a.kind == AlertKind::PutBack)
        .map(|(_, a)| a.sku.as_str())
        .collect();
    assert_eq!(
        put_back,
        ["TEA"],
        "the picked tea goes back; the cup was never taken"
    );
    // A late scan of the cancelled cup line closes nothing; its stock moves.
    scan(
        &mut p,
        2,
        MovementKind::Pick,
        "CUP",
        "B-02-1",
        1,
        &lines[1].0,
    );
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Cancelled));
    assert_eq!(p.on_hand(&key("CUP", "B-02-1")), 3);
    let task = p.task_book().task(
        lines[0]
            .0
            .split(':')
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
    );
    // Finished (its one order cancelled), it left memory once stored.
    assert!(task.is_none(), "the task left the queue for good: {task:?}");
}
