//! The task book driven with time as a value: assignment, exactly-once
//! completion, short picks, counts, reassignment, reload. The helpers are
//! shared with the planner's tests and the proptests.

use super::*;
use crate::orders::{OrderLine, Service};

pub(super) const T0: u64 = 1_800_000_000_000;
pub(super) const MIN: u64 = 60_000;

pub(super) fn rules() -> TaskRules {
    let zone = |id: &str, aisles: &[&str]| Zone {
        id: id.into(),
        prefixes: Vec::new(),
        aisles: aisles.iter().map(|a| a.to_string()).collect(),
    };
    let device = |device: &str, zone: &str| DeviceZone {
        device: device.into(),
        zone: zone.into(),
    };
    TaskRules {
        site: "s1".into(),
        caps: BatchCaps {
            max_orders: 2,
            max_lines: 4,
        },
        zones: vec![zone("front", &["A", "B"]), zone("back", &["C", "D"])],
        devices: vec![
            device("d1", "front"),
            device("d2", "front"),
            device("d3", "back"),
        ],
        offline_after_ms: 10 * MIN,
        on_short: ShortDecision::RePick,
        pack_stations: Vec::new(),
    }
}

pub(super) fn order(id: u64, service: Service, due_ms: u64, lines: &[(&str, i64)]) -> OrderToPick {
    OrderToPick {
        id,
        service,
        due_ms,
        lines: lines
            .iter()
            .map(|(sku, quantity)| OrderLine {
                sku: sku.to_string(),
                quantity: *quantity,
            })
            .collect(),
    }
}

pub(super) fn stock(cells: &[(&str, &str, &str, i64)]) -> StockView {
    let mut view = StockView::new();
    for (sku, location, lot, quantity) in cells {
        let cell = StockCell::from_lot(location, lot, *quantity);
        view.entry(sku.to_string()).or_default().push(cell);
    }
    view
}

fn done(device: &str, seq: u64, task: u64, line: u32, report: Report) -> LineDone {
    LineDone {
        scan: ScanKey {
            device: device.into(),
            epoch: 1,
            seq,
        },
        task,
        line,
        report,
    }
}

fn book() -> TaskBook {
    TaskBook::load(rules(), TaskParts::default(), T0)
}

fn picked(effects: &[Effect]) -> Vec<u64> {
    let orders = effects.iter().filter_map(|e| match e {
        Effect::OrderPicked { order } => Some(*order),
        _ => None,
    });
    orders.collect()
}

#[test]
fn lists_go_to_the_zone_least_loaded_and_planning_is_idempotent() {
    let mut book = book();
    let orders = [
        order(1, Service::Standard, T0, &[("X", 1), ("Y", 1), ("Z", 1)]),
        order(2, Service::Standard, T0 + 1, &[("X", 1)]),
        order(3, Service::Standard, T0 + 2, &[("Y", 1)]),
    ];
    let view = stock(&[
        ("X", "A-01", "", 9),
        ("Y", "B-01", "", 9),
        ("Z", "C-01", "", 9),
    ]);
    let planned = book.plan_orders(&orders, &view, T0);
    assert!(planned.unplanned.is_empty());
    let owners: Vec<(u64, Option<&str>, &str)> = book
        .tasks(None, None)
        .map(|t| (t.id, t.device.as_deref(), t.zone.as_str()))
        .collect();
    // front: [1, 2] (3 lines) to d1, [3] to d2 (less loaded); back: d3.
    let want = [
        (1, Some("d3"), "back"),
        (2, Some("d1"), "front"),
        (3, Some("d2"), "front"),
    ];
    assert_eq!(owners, want);
    let picking = planned
        .effects
        .iter()
        .filter(|e| matches!(e, Effect::OrderPicking { .. }))
        .count();
    assert_eq!(picking, 3);
    assert_eq!(
        (book.version("d1"), book.version("d2"), book.version("d3")),
        (1, 1, 1)
    );
    let again = book.plan_orders(&orders, &view, T0 + MIN);
    assert_eq!(again, Planned::default());
    assert_eq!(book.tasks(None, None).count(), 3);
}

#[test]
fn a_line_closes_once_whatever_is_resent() {
    let mut book = book();
    let view = stock(&[("X", "A-01", "", 9)]);
    book.plan_orders(&[order(7, Service::Express, T0, &[("X", 2)])], &view, T0);
    let first = book
        .line_done(&done("d1", 5, 1, 0, Report::Confirmed(2)), T0)
        .expect("done");
    assert!(!first.duplicate);
    assert_eq!(picked(&first.effects), [7]);
    let version = book.version("d1");
    let snapshot = format!("{:?}", book.tasks(None, None).collect::<Vec<_>>());
    for again in [
        done("d1", 5, 1, 0, Report::Confirmed(2)),
        done("d1", 6, 1, 0, Report::Confirmed(2)),
        done("d2", 1, 1, 0, Report::Short(1, "gone".into())),
        done("d1", 5, 9, 9, Report::Confirmed(99)),
    ] {
        let outcome = book.line_done(&again, T0 + MIN).expect("duplicate");
        assert_eq!(
            outcome,
            Completed {
                duplicate: true,
                effects: Vec::new()
            }
        );
    }
    assert_eq!(book.version("d1"), version);
    assert_eq!(
        snapshot,
        format!("{:?}", book.tasks(None, None).collect::<Vec<_>>())
    );
}

#[test]
fn over_picks_silent_shorts_and_short_counts_are_refused() {
    let mut book = book();
    let view = stock(&[("X", "A-01", "", 9)]);
    book.plan_orders(&[order(7, Service::Express, T0, &[("X", 2)])], &view, T0);
    let cases = [
        (Report::Confirmed(3), "over-pick"),
        (Report::Short(3, "more".into()), "over-pick"),
        (Report::Confirmed(1), "short pick with a reason"),
        (Report::Short(1, " ".into()), "short pick with a reason"),
        (Report::Confirmed(-1), "negative"),
    ];
    for (seq, (report, says)) in (1..).zip(cases) {
        let err = book
            .line_done(&done("d1", seq, 1, 0, report), T0)
            .expect_err("refused");
        assert!(err.to_string().contains(says), "{err}");
    }
    assert_eq!(book.version("d1"), 1);
    let err = book
        .line_done(&done("d1", 9, 1, 5, Report::Confirmed(2)), T0)
        .expect_err("line");
    assert_eq!(err, TaskError::UnknownLine { task: 1, line: 5 });
    book.add_counts(&[count(4, "X", "A-01")], T0);
    let err = book.line_done(&done("d1", 9, 2, 0, Report::Short(0, "x".into())), T0);
    assert!(err.expect_err("short count").to_string().contains("count"));
}

fn count(count_task: u64, sku: &str, location: &str) -> CountRequest {
    CountRequest {
        count_task,
        sku: sku.into(),
        location: location.into(),
        created_ms: T0,
    }
}

#[test]
fn an_order_is_picked_when_every_list_carrying_it_is_confirmed() {
    let mut book = book();
    let view = stock(&[("X", "A-01", "", 9), ("Z", "C-01", "", 9)]);
    book.plan_orders(
        &[order(1, Service::Standard, T0, &[("X", 1), ("Z", 2)])],
        &view,
        T0,
    );
    let front = book
        .line_done(&done("d1", 1, 2, 0, Report::Confirmed(1)), T0)
        .expect("front");
    assert!(picked(&front.effects).is_empty());
    assert_eq!(book.order(1).map(|o| o.state), Some(PickState::Picking));
    let back = book
        .line_done(&done("d3", 1, 1, 0, Report::Confirmed(2)), T0)
        .expect("back");
    assert_eq!(picked(&back.effects), [1]);
    assert_eq!(book.order(1).map(|o| o.state), Some(PickState::Picked));
}

#[test]
fn a_short_pick_asks_for_a_discrepancy_and_is_picked_again() {
    let mut book = book();
    let view = stock(&[("X", "A-01", "", 3), ("X", "B-01", "", 5)]);
    book.plan_orders(&[order(1, Service::Standard, T0, &[("X", 3)])], &view, T0);
    let short = book.line_done(&done("d1", 1, 1, 0, Report::Short(1, "damaged".into())), T0);
    let effects = short.expect("short").effects;
    let Some(Effect::ShortPick(s)) = effects.iter().find(|e| matches!(e, Effect::ShortPick(_)))
    else {
        panic!("no short pick in {effects:?}");
    };
    assert_eq!((s.location.as_str(), s.expected, s.picked), ("A-01", 3, 1));
    assert_eq!(s.decision, ShortDecision::RePick);
    assert!(picked(&effects).is_empty());
    let elsewhere = stock(&[("X", "B-01", "", 5)]);
    let planned = book.plan_orders(&[], &elsewhere, T0 + MIN);
    assert!(planned
        .effects
        .iter()
        .all(|e| !matches!(e, Effect::OrderPicking { .. })));
    let repick = book.task(2).expect("re-pick task");
    assert_eq!(
        (repick.lines[0].location.code(), repick.lines[0].quantity),
        ("B-01", 2)
    );
    let done = book
        .line_done(&done("d1", 2, 2, 0, Report::Confirmed(2)), T0)
        .expect("done");
    assert_eq!(picked(&done.effects), [1]);
}

#[test]
fn a_backordered_short_stops_the_order() {
    let mut book = book();
    book.set_rules(TaskRules {
        on_short: ShortDecision::Backorder,
        ..rules()
    });
    let view = stock(&[("X", "A-01", "", 3), ("X", "B-01", "", 5)]);
    book.plan_orders(&[order(1, Service::Standard, T0, &[("X", 3)])], &view, T0);
    let report = done("d1", 1, 1, 0, Report::Short(0, "empty".into()));
    let effects = book.line_done(&report, T0).expect("short").effects;
    let decisions: Vec<ShortDecision> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ShortPick(s) => Some(s.decision),
            _ => None,
        })
        .collect();
    assert_eq!(decisions, [ShortDecision::Backorder]);
    assert_eq!(book.order(1).map(|o| o.state), Some(PickState::Backordered));
    assert_eq!(book.plan_orders(&[], &view, T0), Planned::default());
}

#[test]
fn counts_share_the_queues_after_picks_once_each() {
    let mut book = book();
    book.add_counts(&[count(4, "Z", "C-09"), count(4, "Z", "C-09")], T0);
    let view = stock(&[("Z", "C-01", "", 9)]);
    book.plan_orders(
        &[order(1, Service::Standard, T0 + 99, &[("Z", 1)])],
        &view,
        T0,
    );
    book.add_counts(&[count(4, "Z", "C-09")], T0);
    let queue = book.queue("d3");
    let kinds: Vec<TaskKind> = queue.tasks.iter().map(|t| t.kind).collect();
    assert_eq!(kinds, [TaskKind::Pick, TaskKind::Count { count_task: 4 }]);
    assert_eq!(queue.version, 2);
    let counted = book
        .line_done(&done("d3", 1, 1, 0, Report::Confirmed(7)), T0)
        .expect("count");
    assert!(counted.effects.contains(&Effect::TaskDone { task: 1 }));
    assert_eq!(
        book.task(1).map(|t| t.lines[0].state.clone()),
        Some(LineState::Confirmed(7))
    );
}

#[test]
fn a_gone_device_loses_only_its_open_lines() {
    let mut book = book();
    let view = stock(&[
        ("X", "A-01", "", 9),
        ("Y", "A-02", "", 9),
        ("Z", "A-03", "", 9),
    ]);
    let orders = [order(
        1,
        Service::Standard,
        T0,
        &[("X", 1), ("Y", 1), ("Z", 1)],
    )];
    book.plan_orders(&orders, &view, T0);
    book.seen("d2", T0 + 5 * MIN);
    book.line_done(&done("d1", 1, 1, 0, Report::Confirmed(1)), T0)
        .expect("done");
    assert!(
        book.reassign(T0 + 10 * MIN).is_empty(),
        "not gone long enough"
    );
    let (v1, v2) = (book.version("d1"), book.version("d2"));
    let effects = book.reassign(T0 + 11 * MIN);
    assert_eq!(effects.len(), 2, "{effects:?}");
    assert_eq!((book.version("d1"), book.version("d2")), (v1 + 1, v2 + 1));
    let old = book.task(1).expect("old");
    assert_eq!(old.lines[0].state, LineState::Confirmed(1));
    assert_eq!(old.lines[1].state, LineState::Moved { task: 2, line: 0 });
    assert!(book.queue("d1").tasks.is_empty());
    let new = book.queue("d2").tasks;
    let skus: Vec<&str> = new[0].lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["Y", "Z"]);
    // The gone device's late scan closes the live copy; d2's is then a
    // duplicate: nothing is picked twice.
    book.line_done(&done("d1", 2, 1, 1, Report::Confirmed(1)), T0)
        .expect("late");
    let twice = book
        .line_done(&done("d2", 1, 2, 0, Report::Confirmed(1)), T0)
        .expect("dup");
    assert!(twice.duplicate);
    let last = book
        .line_done(&done("d2", 2, 2, 1, Report::Confirmed(1)), T0)
        .expect("last");
    assert_eq!(picked(&last.effects), [1]);
}

#[test]
fn what_is_stored_loads_back_to_the_same_queues() {
    let mut book = book();
    let view = stock(&[("X", "A-01", "", 9), ("Z", "C-01", "", 9)]);
    book.plan_orders(
        &[order(1, Service::Standard, T0, &[("X", 1), ("Z", 1)])],
        &view,
        T0,
    );
    book.line_done(&done("d3", 1, 1, 0, Report::Confirmed(1)), T0)
        .expect("done");
    let changes = book.take_changes();
    assert!(book.take_changes().is_empty());
    let parts = TaskParts {
        tasks: changes.tasks,
        orders: changes.orders,
        versions: changes.versions,
        next_task: changes.next_task,
    };
    let mut back = TaskBook::load(rules(), parts, T0 + MIN);
    for device in ["d1", "d2", "d3"] {
        assert_eq!(back.queue(device), book.queue(device), "{device}");
    }
    let again = back
        .line_done(&done("d3", 1, 1, 0, Report::Confirmed(1)), T0)
        .expect("dup");
    assert!(again.duplicate);
    let last = back
        .line_done(&done("d1", 1, 2, 0, Report::Confirmed(1)), T0)
        .expect("last");
    assert_eq!(picked(&last.effects), [1]);
}
