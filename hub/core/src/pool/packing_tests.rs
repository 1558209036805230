//! Packing at a station that is not the picker's device (issue 15, item
//! 5): a picked task not packed yet is on every packing station's list,
//! whose version steps when the task arrives and when it leaves.

use super::tasks_tests::{paid_order, pool, scan, T0};
use crate::orders::OrderState;
use crate::tasks::{DeviceZone, ShortDecision, TaskRules};
use protocol::MovementKind;

#[test]
fn a_packing_station_gets_picked_tasks_and_packs_them_away_from_the_picker() {
    let mut p = pool(ShortDecision::RePick);
    p.start_tasks(
        TaskRules {
            site: "s1".into(),
            devices: vec![DeviceZone {
                device: "h1".into(),
                zone: String::new(),
            }],
            pack_stations: vec!["pk1".into()],
            ..TaskRules::default()
        },
        T0,
    );
    let id = paid_order(&mut p, "P-1", &[("TEA", 2)]);
    p.plan_tasks(T0 + 1);
    let task = p
        .task_book()
        .tasks(Some("h1"), Some(true))
        .next()
        .map(|t| t.id)
        .expect("a task");
    assert!(
        p.task_book().queue("pk1").tasks.is_empty(),
        "nothing to pack yet"
    );
    assert_eq!(p.task_book().version("pk1"), 0);
    p.take_queue_pushes();
    scan(
        &mut p,
        1,
        MovementKind::Pick,
        "TEA",
        "A-01-1",
        2,
        &format!("{task}:0"),
    );
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Picked));
    let pushes = p.take_queue_pushes();
    assert!(pushes.contains(&"pk1".to_string()), "{pushes:?}");
    let at_station: Vec<u64> = p
        .task_book()
        .queue("pk1")
        .tasks
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        at_station,
        [task],
        "the picked task is on the packing station's list"
    );
    let before = p.task_book().version("pk1");
    // The pack scan comes from the station, not the picker.
    let m = protocol::Movement {
        seq: 1,
        kind: MovementKind::Pack,
        sku: "TEA".into(),
        location: "PACK-1".into(),
        to_location: None,
        lot: None,
        quantity: 2,
        device_time_ms: 0,
        task: Some(format!("{task}:0")),
    };
    let batch = protocol::EventBatch {
        site: "s1".into(),
        device: "pk1".into(),
        epoch: 1,
        first_seq: 1,
        movements: vec![m],
        auth_tag: None,
    };
    p.apply_batch(&batch, T0 + 3, &Vec::new());
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Packed));
    assert!(
        p.task_book().queue("pk1").tasks.is_empty(),
        "packed: it left the list"
    );
    assert!(p.task_book().version("pk1") > before);
}

/// Nothing found at a pick line's location: the handheld sends a count of
/// 0 naming the line (a pick of 0 is no movement). The hub hears the
/// shortfall: the line closes short, the order waits for an operator (or
/// a re-pick), and the shelf's stock is what was found.
#[test]
fn nothing_found_is_a_short_pick_never_a_silent_one() {
    use crate::alerts::AlertKind;
    let mut p = pool(ShortDecision::Backorder);
    let id = paid_order(&mut p, "Z-1", &[("TEA", 2)]);
    p.plan_tasks(T0 + 1);
    let task = p
        .task_book()
        .tasks(Some("h1"), Some(true))
        .next()
        .map(|t| t.id)
        .expect("a task");
    scan(
        &mut p,
        1,
        MovementKind::Count,
        "TEA",
        "A-01-1",
        0,
        &format!("{task}:0"),
    );
    let order = p.order(id).expect("order");
    assert_eq!(order.state, OrderState::Exception, "{:?}", order.history);
    assert_eq!(order.exceptions[0].code, "short_pick");
    let alerts: Vec<AlertKind> = p
        .take_changes()
        .alerts
        .iter()
        .map(|(_, a)| a.kind)
        .collect();
    assert!(alerts.contains(&AlertKind::ShortPick), "{alerts:?}");
    let key = crate::events::StockKey {
        sku: "TEA".into(),
        location: "A-01-1".into(),
        lot: String::new(),
    };
    assert_eq!(p.on_hand(&key), 0, "the shelf holds what was found");
}

/// The reason a picker gave travels with the line (`{task}:{line}:{reason}`)
/// and is what the short pick records.
#[test]
fn a_short_picks_reason_reaches_the_discrepancy() {
    let mut p = pool(ShortDecision::RePick);
    paid_order(&mut p, "R-1", &[("TEA", 3)]);
    p.plan_tasks(T0 + 1);
    let task = p
        .task_book()
        .tasks(Some("h1"), Some(true))
        .next()
        .map(|t| t.id)
        .expect("a task");
    scan(
        &mut p,
        1,
        MovementKind::Pick,
        "TEA",
        "A-01-1",
        1,
        &format!("{task}:0:damaged"),
    );
    let line = p.task_book().task(task).map(|t| t.lines[0].state.clone());
    assert_eq!(
        line,
        Some(crate::tasks::LineState::Short(1, "damaged".into()))
    );
}

/// A long-running hub holds its open work, not all it ever made: once an
/// order is packed and stored, its tasks and progress leave memory (the
/// store keeps them; a start would not load them either).
#[test]
fn finished_work_leaves_memory_once_stored() {
    let mut p = pool(ShortDecision::RePick);
    let id = paid_order(&mut p, "F-1", &[("TEA", 1)]);
    p.plan_tasks(T0 + 1);
    let task = p
        .task_book()
        .tasks(Some("h1"), Some(true))
        .next()
        .map(|t| t.id)
        .expect("a task");
    scan(
        &mut p,
        1,
        MovementKind::Pick,
        "TEA",
        "A-01-1",
        1,
        &format!("{task}:0"),
    );
    scan(
        &mut p,
        2,
        MovementKind::Pack,
        "TEA",
        "PACK-1",
        1,
        &format!("{task}:0"),
    );
    assert_eq!(p.order(id).map(|o| o.state), Some(OrderState::Packed));
    assert!(p.task_book().task(task).is_some(), "kept until stored");
    let changes = p.take_changes();
    assert!(changes.tasks.tasks.iter().any(|t| t.id == task), "stored");
    assert!(p.task_book().task(task).is_none(), "gone from memory");
    assert!(p.task_book().order(id).is_none());
}
