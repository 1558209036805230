//! Whatever a picker scans or types, in any order: no line gets more units
//! than it asks, no line is recorded twice, and nothing is recorded for a
//! wrong item, a wrong location or an expired lot; a pack never takes
//! more than a line's units and only once its order is complete.

use super::fixtures::*;
use super::item::{read, ReadAs};
use super::{Day, Effect, Input, PackSession, PickSession, Progress};
use proptest::prelude::*;
use protocol::{MovementKind, TaskEntry, TaskKind, TaskLine, TaskList, TaskRef};
use std::collections::BTreeMap;

const SKUS: [&str; 3] = ["TEA", "MUG", GTIN];
const LOCATIONS: [&str; 3] = ["A-01", "A-02", "B-01"];
const LOTS: [Option<&str>; 3] = [None, Some("L9@2027-09-30"), Some("L7@2026-03-31")];

fn task_line() -> impl Strategy<Value = (usize, usize, usize, i64)> {
    (0..SKUS.len(), 0..LOCATIONS.len(), 0..LOTS.len(), 1..5i64)
}

fn task_list() -> impl Strategy<Value = TaskList> {
    let task = (any::<bool>(), prop::collection::vec(task_line(), 1..4));
    prop::collection::vec(task, 1..4).prop_map(|tasks| TaskList {
        site: "s1".into(),
        device: "d1".into(),
        version: 1,
        tasks: tasks
            .into_iter()
            .enumerate()
            .map(|(t, (count, lines))| entry(t as u64 + 1, count, lines))
            .collect(),
    })
}

fn entry(task: u64, count: bool, lines: Vec<(usize, usize, usize, i64)>) -> TaskEntry {
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, (sku, loc, lot, qty))| TaskLine {
            line: i as u32 + 1,
            sku: SKUS[sku].into(),
            location: LOCATIONS[loc].into(),
            lot: LOTS[lot].filter(|_| SKUS[sku] == GTIN).map(Into::into),
            quantity: if count { 0 } else { qty },
            done: 0,
            order: (!count).then_some(task % 2 + 50),
        });
    TaskEntry {
        task,
        kind: if count {
            TaskKind::Count
        } else {
            TaskKind::Pick
        },
        order: None,
        remarks: None,
        lines: lines.collect(),
    }
}

fn input() -> impl Strategy<Value = Input> {
    let texts = vec![
        "LOC:A-01",
        "LOC:A-02",
        "LOC:B-01",
        "A-01",
        "TEA",
        "MUG",
        GTIN,
        GS1_L9,
        GS1_EXPIRED,
        GS1_L8,
        "]C10109506000134352372",
        "",
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "junk",
        "ORDER:50",
        "ORDER:51",
        "TASK:1",
        "TASK:2",
    ];
    prop_oneof![
        8 => prop::sample::select(texts.clone()).prop_map(|t| Input::Line(t.into())),
        2 => prop::sample::select(texts).prop_map(|t| Input::Scan(t.into())),
        1 => Just(Input::Cancel),
    ]
}

fn text_of(input: &Input) -> Option<&str> {
    match input {
        Input::Line(t) | Input::Scan(t) => Some(t),
        Input::Cancel => None,
    }
}

fn line_of(list: &TaskList, at: TaskRef) -> (&TaskEntry, &TaskLine) {
    list.tasks
        .iter()
        .filter(|t| t.task == at.task)
        .flat_map(|t| t.lines.iter().map(move |l| (t, l)))
        .find(|(_, l)| l.line == at.line)
        .expect("a record names a line of the list")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn picks_never_exceed_a_line_nor_follow_a_wrong_scan(
        list in task_list(),
        inputs in prop::collection::vec(input(), 0..60),
    ) {
        let mut s = PickSession::new(list.clone(), Progress::new(), today());
        let mut recorded: BTreeMap<TaskRef, i64> = BTreeMap::new();
        let mut since_close: Vec<String> = Vec::new();
        for input in inputs {
            if let Some(text) = text_of(&input) {
                since_close.push(text.trim().to_string());
            }
            let effects = s.handle(input, 7);
            let refused = effects.contains(&Effect::Beep(super::Beep::Error));
            for effect in &effects {
                let Effect::Record(record) = effect else { continue };
                prop_assert!(!refused, "recorded with an error beep");
                let d = &record.draft;
                let at = TaskRef::parse_line(d.task.as_deref().unwrap_or("")).expect("a task ref").0;
                let (task, line) = line_of(&list, at);
                prop_assert_eq!(&d.sku, &line.sku);
                prop_assert_eq!(&d.location, &line.location);
                let units = recorded.entry(at).or_default();
                prop_assert_eq!(*units, 0, "line {} recorded twice", at);
                *units += d.quantity.max(1);
                let nothing_found = d.kind == MovementKind::Count && d.quantity == 0;
                if task.kind == TaskKind::Pick && !nothing_found {
                    prop_assert_eq!(d.kind, MovementKind::Pick);
                    prop_assert!(d.quantity >= 1 && d.quantity <= line.quantity);
                    let expiry = d.lot.as_deref().and_then(Day::of_lot);
                    prop_assert!(expiry.is_none_or(|day| day >= today()), "expired lot picked");
                } else {
                    prop_assert_eq!(d.kind, MovementKind::Count);
                }
                let location_scanned = since_close.iter().any(|t| {
                    *t == line.location || *t == format!("LOC:{}", line.location)
                });
                let item_scanned = since_close.iter().any(|t| {
                    matches!(read(t), ReadAs::Goods(g) if g.is(&line.sku))
                });
                prop_assert!(location_scanned && item_scanned, "{} without its scans", at);
            }
            if effects.iter().any(|e| matches!(e, Effect::Record(_))) {
                since_close.clear();
            }
        }
    }

    #[test]
    fn packs_take_a_lines_units_once_and_only_for_a_whole_order(
        list in task_list(),
        inputs in prop::collection::vec(input(), 0..80),
    ) {
        let mut s = PackSession::new(list.clone(), Progress::new());
        let mut packed: BTreeMap<TaskRef, i64> = BTreeMap::new();
        for input in inputs {
            let effects = s.handle(input, 9);
            let orders: Vec<u64> = effects.iter().filter_map(|e| match e {
                Effect::OrderPacked(o) => Some(*o),
                _ => None,
            }).collect();
            let records = records(&effects);
            prop_assert_eq!(orders.len(), usize::from(!records.is_empty()));
            for record in records {
                let d = &record.draft;
                let at = TaskRef::parse_line(d.task.as_deref().unwrap_or("")).expect("a task ref").0;
                let (_, line) = line_of(&list, at);
                prop_assert_eq!(d.kind, MovementKind::Pack);
                prop_assert_eq!(line.order, Some(orders[0]));
                prop_assert!(d.quantity >= 1 && d.quantity <= line.quantity);
                prop_assert!(packed.insert(at, d.quantity).is_none(), "{} packed twice", at);
            }
        }
    }
}
