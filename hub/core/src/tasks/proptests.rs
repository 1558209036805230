//! Properties of the work queues over random input: walking order is a
//! total order that agrees with parsing; planning respects caps and
//! urgency, covers every order line exactly and takes stock FEFO; and over
//! random runs of scans, sightings and reassignments, a report applied
//! twice changes nothing, closed lines never move, no unit is covered
//! twice, and a queue's version steps exactly when its content changes.

use super::location::Walk;
use super::tests::{order, rules, MIN, T0};
use super::*;
use crate::orders::Service;
use proptest::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Ca-c]{0,2}[0-9]{0,3}(-[0-9]{1,3}){0,3}",
        "[A-C0-9?-]{0,7}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn walking_order_is_total_and_agrees_with_parse(a in code(), b in code(), c in code()) {
        let (la, lb, lc) = (Location::new(&*a), Location::new(&*b), Location::new(&*c));
        prop_assert_eq!(la.cmp(&lb), lb.cmp(&la).reverse());
        prop_assert_eq!(la.cmp(&lb) == Ordering::Equal, a == b);
        if la <= lb && lb <= lc {
            prop_assert!(la <= lc);
        }
        match (Walk::parse(&a), Walk::parse(&b)) {
            (Some(wa), Some(wb)) if wa != wb => prop_assert_eq!(la.cmp(&lb), wa.cmp(&wb)),
            (Some(_), None) => prop_assert!(la < lb),
            (None, None) => prop_assert_eq!(la.cmp(&lb), a.cmp(&b)),
            _ => {}
        }
    }

    #[test]
    fn parsed_parts_sort_like_aisle_bay_level(
        a in ("[A-Z]{1,2}", 0u32..999, 0u32..999, 0u32..99),
        b in ("[A-Z]{1,2}", 0u32..999, 0u32..999, 0u32..99),
    ) {
        let text = |p: &(String, u32, u32, u32)| format!("{}{:03}-{:03}-{:02}", p.0, p.1, p.2, p.3);
        let (la, lb) = (Location::new(text(&a)), Location::new(text(&b)));
        let walk = la.walk().expect("parses");
        prop_assert_eq!((walk.aisle.number, walk.bay, walk.level), (Some(a.1), Some(a.2), Some(a.3)));
        let key = |p: &(String, u32, u32, u32)| (p.0.len(), p.0.clone(), p.1, p.2, p.3);
        prop_assert_eq!(la.cmp(&lb), key(&a).cmp(&key(&b)));
    }
}

const SKUS: [&str; 4] = ["P", "Q", "R", "S"];
const PLACES: [&str; 8] = [
    "A-01", "A-02-1", "B-03", "C-01", "D-07-2", "E-01", "?x", "COLD",
];
const LOTS: [&str; 4] = ["", "L1", "L2@2027-03-01", "L3@2026-12-31"];

type OrderSpec = (bool, u64, Vec<(usize, i64)>);

fn orders() -> impl Strategy<Value = Vec<OrderToPick>> {
    let line = (0..SKUS.len(), 1i64..6);
    let spec = (any::<bool>(), 0u64..4, prop::collection::vec(line, 1..4));
    prop::collection::vec(spec, 1..14).prop_map(|specs: Vec<OrderSpec>| {
        let to_pick = |(i, (express, due, lines)): (usize, OrderSpec)| {
            let service = if express {
                Service::Express
            } else {
                Service::Standard
            };
            let lines: Vec<(&str, i64)> = lines.iter().map(|(s, q)| (SKUS[*s], *q)).collect();
            order(i as u64 + 1, service, T0 + due * MIN, &lines)
        };
        specs.into_iter().enumerate().map(to_pick).collect()
    })
}

fn view() -> impl Strategy<Value = StockView> {
    let cell = ((0..SKUS.len(), 0..PLACES.len(), 0..LOTS.len()), 0i64..9);
    prop::collection::btree_map(cell.0, cell.1, 0..24).prop_map(|cells| {
        let mut view = StockView::new();
        for ((sku, place, lot), quantity) in cells {
            let cell = StockCell::from_lot(PLACES[place], LOTS[lot], quantity);
            view.entry(SKUS[sku].to_string()).or_default().push(cell);
        }
        view
    })
}

fn fefo_key(c: &StockCell) -> (bool, Option<String>, Location, String) {
    (
        c.expiry.is_none(),
        c.expiry.clone(),
        Location::new(&*c.location),
        c.lot.clone(),
    )
}

proptest! {
    #[test]
    fn plans_respect_caps_urgency_coverage_and_fefo(
        orders in orders(), view in view(), max_orders in 1usize..4, max_lines in 1usize..6,
    ) {
        let rules = TaskRules { caps: BatchCaps { max_orders, max_lines }, ..rules() };
        let plan = plan(&orders, &view, &rules);
        let rank: HashMap<u64, (Rank, u64)> = orders.iter().map(|o| (o.id, (o.rank(), o.id))).collect();
        let planned: BTreeSet<u64> = plan.lists.iter().flat_map(|l| l.orders.clone()).collect();
        let unplanned: BTreeSet<u64> = plan.unplanned.iter().map(|u| u.0).collect();
        prop_assert!(planned.is_disjoint(&unplanned));
        prop_assert_eq!(planned.len() + unplanned.len(), orders.len());
        let mut last_in_zone: HashMap<&str, (Rank, u64)> = HashMap::new();
        for list in &plan.lists {
            prop_assert!(list.orders.len() <= max_orders && list.lines.len() <= max_lines);
            prop_assert!(list.lines.windows(2).all(|w| w[0].location <= w[1].location));
            let ranks: Vec<(Rank, u64)> = list.orders.iter().map(|o| rank[o]).collect();
            prop_assert!(ranks.iter().all(|r| r.0.class == list.rank.class));
            let (lo, hi) = (ranks.iter().min().copied(), ranks.iter().max().copied());
            if let (Some(prev), Some(lo)) = (last_in_zone.get(list.zone.as_str()), lo) {
                prop_assert!(*prev <= lo, "urgency order broken in zone {}", list.zone);
            }
            last_in_zone.insert(&list.zone, hi.unwrap_or(list_rank_floor()));
        }
        let mut covered: HashMap<(u64, u32), i64> = HashMap::new();
        let mut used: HashMap<(String, String, String), i64> = HashMap::new();
        for line in plan.lists.iter().flat_map(|l| &l.lines) {
            let ordered = &orders[line.order as usize - 1].lines[line.order_line as usize];
            prop_assert_eq!(&ordered.sku, &line.sku);
            *covered.entry((line.order, line.order_line)).or_default() += line.quantity;
            let key = (line.sku.clone(), line.location.code().to_string(), line.lot.clone());
            *used.entry(key).or_default() += line.quantity;
        }
        for o in orders.iter().filter(|o| planned.contains(&o.id)) {
            for (i, line) in (0u32..).zip(&o.lines) {
                prop_assert_eq!(covered.get(&(o.id, i)).copied(), Some(line.quantity));
            }
        }
        for (sku, cells) in &view {
            let mut cells: Vec<&StockCell> = cells.iter().filter(|c| c.quantity > 0).collect();
            cells.sort_by_key(|c| fefo_key(c));
            let mut drained = true;
            for c in cells {
                let took = used.get(&(sku.clone(), c.location.clone(), c.lot.clone())).copied().unwrap_or(0);
                prop_assert!(took <= c.quantity);
                prop_assert!(drained || took == 0, "FEFO skipped stock of {} before {}", sku, c.location);
                drained = took == c.quantity;
            }
        }
    }
}

fn list_rank_floor() -> (Rank, u64) {
    (
        Rank {
            class: Class::Express,
            due_ms: 0,
        },
        0,
    )
}

#[derive(Debug, Clone)]
enum Op {
    /// A report on the n-th line the book knows, from a device.
    Done {
        pick: usize,
        device: usize,
        seq: u64,
        how: u8,
    },
    /// A device heard from, after some minutes.
    Seen { device: usize, minutes: u64 },
    /// Minutes pass, then a reassignment pass.
    Reassign { minutes: u64 },
    /// Re-picks planned against fresh stock.
    Replan,
    /// A count queued.
    Count { id: u64, place: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0usize..64, 0usize..3, 0u64..12, 0u8..4)
            .prop_map(|(pick, device, seq, how)| Op::Done { pick, device, seq, how }),
        2 => (0usize..3, 0u64..12).prop_map(|(device, minutes)| Op::Seen { device, minutes }),
        2 => (0u64..12).prop_map(|minutes| Op::Reassign { minutes }),
        1 => Just(Op::Replan),
        1 => (0u64..4, 0..PLACES.len()).prop_map(|(id, place)| Op::Count { id, place }),
    ]
}

const DEVICES: [&str; 3] = ["d1", "d2", "d3"];

fn report(book: &TaskBook, pick: usize, device: usize, seq: u64, how: u8) -> Option<LineDone> {
    let lines: Vec<&TaskLine> = book.tasks.values().flat_map(|t| &t.lines).collect();
    let task_of = |n: usize| {
        book.tasks
            .values()
            .flat_map(|t| t.lines.iter().map(|_| t.id))
            .nth(n)
    };
    let n = pick % lines.len().max(1);
    let (line, task) = (lines.get(n)?, task_of(n)?);
    let q = line.quantity;
    let report = match how {
        0 => Report::Confirmed(q),
        1 => Report::Short((q - 1).max(0), "damaged".into()),
        2 => Report::Confirmed(q + 1),
        _ => Report::Short(0, String::new()),
    };
    let scan = ScanKey {
        device: DEVICES[device].into(),
        epoch: 1,
        seq,
    };
    Some(LineDone {
        scan,
        task,
        line: line.line,
        report,
    })
}

/// Whether the live copy of a line (following moves) is open.
fn live_open(book: &TaskBook, mut task: u64, mut at: u32) -> bool {
    loop {
        let line = book
            .tasks
            .get(&task)
            .and_then(|t| t.lines.iter().find(|l| l.line == at));
        match line.map(|l| &l.state) {
            Some(LineState::Moved { task: to, line }) => (task, at) = (*to, *line),
            Some(state) => return state.is_open(),
            None => return false,
        }
    }
}

fn snapshot(book: &TaskBook) -> String {
    format!("{:?} {:?} {:?}", book.tasks, book.orders, book.versions)
}

fn stock_everywhere() -> StockView {
    let cells = || {
        PLACES
            .iter()
            .map(|p| StockCell::from_lot(p, "", 50))
            .collect()
    };
    SKUS.iter().map(|s| (s.to_string(), cells())).collect()
}

/// The invariants checked after every step (see the module doc).
fn check(
    book: &TaskBook,
    closed: &mut HashMap<(u64, u32), (LineState, Option<String>)>,
) -> Result<(), TestCaseError> {
    let mut covered: HashMap<(u64, u32), i64> = HashMap::new();
    let mut targets = BTreeSet::new();
    for task in book.tasks.values() {
        for line in &task.lines {
            match &line.state {
                LineState::Open => {
                    *covered
                        .entry((line.order.unwrap_or(0), line.order_line))
                        .or_default() += line.quantity;
                }
                LineState::Moved { task: to, line: at } => {
                    prop_assert!(targets.insert((*to, *at)), "two lines moved to one");
                    prop_assert!(book
                        .tasks
                        .get(to)
                        .is_some_and(|t| t.lines.iter().any(|l| l.line == *at)));
                }
                state => {
                    *covered
                        .entry((line.order.unwrap_or(0), line.order_line))
                        .or_default() += state.picked();
                    let now = (state.clone(), task.device.clone());
                    let first = closed
                        .entry((task.id, line.line))
                        .or_insert_with(|| now.clone());
                    prop_assert_eq!(&*first, &now, "a closed line changed or moved");
                }
            }
        }
    }
    for ((task, at), (state, device)) in closed.iter() {
        let task = book.tasks.get(task);
        let line = task.and_then(|t| t.lines.iter().find(|l| l.line == *at));
        prop_assert_eq!(line.map(|l| &l.state), Some(state), "a closed line changed");
        prop_assert_eq!(
            task.and_then(|t| t.device.as_ref()),
            device.as_ref(),
            "a closed line moved"
        );
    }
    for progress in book.orders.values() {
        for (i, line) in (0u32..).zip(&progress.lines) {
            let units = covered.get(&(progress.order, i)).copied().unwrap_or(0);
            prop_assert!(
                units <= line.quantity,
                "order {} line {} covered {} > {}",
                progress.order,
                i,
                units,
                line.quantity
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn runs_close_once_never_move_closed_lines_and_version_every_change(
        orders in orders(), ops in prop::collection::vec(op(), 1..40),
    ) {
        let mut book = TaskBook::load(rules(), TaskParts::default(), T0);
        book.plan_orders(&orders, &stock_everywhere(), T0);
        let mut now = T0;
        let mut closed = HashMap::new();
        check(&book, &mut closed)?;
        for op in ops {
            let queues: Vec<DeviceQueue> = DEVICES.iter().map(|d| book.queue(d)).collect();
            match op {
                Op::Done { pick, device, seq, how } => {
                    let Some(done) = report(&book, pick, device, seq, how) else { continue };
                    let fresh = live_open(&book, done.task, done.line)
                        && !book.by_scan.contains_key(&done.scan);
                    let first = book.line_done(&done, now);
                    if let Ok(first) = &first {
                        prop_assert!(!fresh || !first.duplicate, "a scan of an open line was dropped");
                    }
                    let after = snapshot(&book);
                    let second = book.line_done(&done, now);
                    prop_assert_eq!(&after, &snapshot(&book), "a second apply changed the book");
                    match (first, second) {
                        (Ok(_), Ok(again)) => prop_assert!(again.duplicate && again.effects.is_empty()),
                        (Err(a), Err(b)) => prop_assert_eq!(a, b),
                        (a, b) => prop_assert!(false, "{:?} then {:?}", a, b),
                    }
                }
                Op::Seen { device, minutes } => {
                    now += minutes * MIN;
                    book.seen(DEVICES[device], now);
                }
                Op::Reassign { minutes } => {
                    now += minutes * MIN;
                    book.reassign(now);
                }
                Op::Replan => {
                    book.plan_orders(&[], &stock_everywhere(), now);
                }
                Op::Count { id, place } => {
                    let count = CountRequest { count_task: id, sku: "P".into(), location: PLACES[place].into(), created_ms: now };
                    book.add_counts(&[count], now);
                }
            }
            check(&book, &mut closed)?;
            for before in queues {
                let after = book.queue(&before.device);
                prop_assert!(after.version >= before.version);
                let changed = after.tasks != before.tasks;
                let stepped = after.version == before.version + 1;
                prop_assert!(changed == stepped && (stepped || after.version == before.version),
                    "{}: content changed {} but version {} -> {}", before.device, changed, before.version, after.version);
            }
        }
    }
}
