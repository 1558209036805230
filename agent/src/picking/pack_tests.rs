//! Every step and every refusal of pack checking.

use super::fixtures::*;
use super::pack::PackStep;
use super::{Beep, Effect, Input, NoticeLevel, PackSession, Progress, Record};
use protocol::{MovementKind, TaskRef};

const ERROR: Effect = Effect::Beep(Beep::Error);
const GOOD: Effect = Effect::Beep(Beep::Good);
/// GS1: a carton of 2 of the GTIN.
const CARTON_OF_2: &str = "]C10109506000134352372";
const CARTON_OF_3: &str = "]C10109506000134352373";

fn station() -> PackSession {
    PackSession::new(list(), Progress::new())
}

fn notice(s: &PackSession) -> (NoticeLevel, String) {
    let n = s.view().notice.expect("a notice");
    (n.level, n.text)
}

fn pack(sku: &str, location: &str, quantity: i64, task: &str) -> Effect {
    let mut d = draft(MovementKind::Pack, sku, location, quantity, None, task);
    d.device_time_ms = 9;
    Effect::Record(Record {
        draft: d,
        short: None,
    })
}

#[test]
fn an_order_is_packed_when_every_unit_is_scanned() {
    let mut s = station();
    assert_eq!(s.handle(typed("ORDER:55"), 9), [GOOD]);
    assert_eq!(s.step(), PackStep::Items(55));
    for _ in 0..3 {
        assert_eq!(s.handle(Input::Scan("TEA".into()), 9), [GOOD]);
    }
    assert_eq!(notice(&s), (NoticeLevel::Done, "TEA 3/3".into()));
    let effects = s.handle(typed(CARTON_OF_2), 9);
    assert_eq!(
        effects,
        [
            pack("TEA", "A-03-2", 3, "1042:1"),
            pack(GTIN, "B-01-1", 2, "1042:2"),
            Effect::OrderPacked(55),
        ]
    );
    assert_eq!(s.step(), PackStep::ScanOrder);
    let packed = "order 55 packed: ready for labels";
    assert_eq!(notice(&s), (NoticeLevel::Done, packed.into()));
    assert_eq!(s.handle(typed("ORDER:55"), 9), [ERROR]);
    assert_eq!(notice(&s).1, "order 55 is already packed");
}

#[test]
fn tote_pick_list_and_typed_references_name_the_order() {
    for reference in ["ORDER:55", "order:55", "TASK:1042", "55", "1042"] {
        let mut s = station();
        assert_eq!(s.handle(typed(reference), 9), [GOOD], "{reference}");
        assert_eq!(s.step(), PackStep::Items(55), "{reference}");
    }
}

#[test]
fn references_that_name_no_single_order_are_refused() {
    let mut batched = list();
    batched
        .tasks
        .push(pick_task(1050, 56, vec![line(1, "JAM", "D-01-1", None, 1)]));
    batched.tasks[2]
        .lines
        .push(super::fixtures::line(2, "TEA", "A-03-2", None, 1));
    batched.tasks[2].lines[1].order = Some(57);
    let table = [
        (
            "TEA",
            "scan the order's tote or pick list (ORDER:... or TASK:...)",
        ),
        ("ORDER:99", "order 99 is not in this queue"),
        ("TASK:9", "no order or pick list 9 in this queue"),
        ("TASK:1043", "task 1043 has no order to pack"),
        (
            "TASK:1050",
            "pick list 1050 holds orders 56, 57: scan the order's tote",
        ),
    ];
    for (input, want) in table {
        let mut s = PackSession::new(batched.clone(), Progress::new());
        assert_eq!(s.handle(typed(input), 9), [ERROR], "{input}");
        assert_eq!(notice(&s), (NoticeLevel::Refused, want.into()), "{input}");
        assert_eq!(s.step(), PackStep::ScanOrder);
    }
}

#[test]
fn wrong_and_extra_items_are_refused() {
    let mut s = station();
    s.handle(typed("ORDER:55"), 9);
    for _ in 0..3 {
        s.handle(typed("TEA"), 9);
    }
    let table = [
        ("MUG", "wrong item MUG: not in order 55"),
        ("TEA", "extra item: order 55 takes 3 TEA"),
        (CARTON_OF_3, "extra item: order 55 takes 2 09506000134352"),
        ("LOC:A-03-2", "A-03-2 is a location: scan the order's items"),
        ("ORDER:56", "order 55 is open: pack it, or Esc to leave it"),
        ("MODE:pack", "a mode card does nothing here"),
    ];
    for (input, want) in table {
        assert_eq!(s.handle(typed(input), 9), [ERROR], "{input}");
        assert_eq!(notice(&s), (NoticeLevel::Refused, want.into()), "{input}");
    }
    let scanned: Vec<i64> = s.lines(55).iter().map(|l| l.scanned).collect();
    assert_eq!(scanned, [3, 0]);
}

#[test]
fn a_missing_item_keeps_the_order_open_and_its_scans() {
    let mut s = station();
    s.handle(typed("ORDER:55"), 9);
    s.handle(typed("TEA"), 9);
    assert_eq!(s.handle(typed(CARTON_OF_2), 9), [GOOD]);
    assert_eq!(s.handle(Input::Cancel, 9), []);
    assert_eq!(s.step(), PackStep::ScanOrder);
    let open = "order 55 left open: 2 units still missing";
    assert_eq!(notice(&s), (NoticeLevel::Info, open.into()));
    s.handle(typed("ORDER:55"), 9);
    assert_eq!(s.view().tally.map(|t| (t.done, t.total)), Some((3, 5)));
}

#[test]
fn a_line_packs_what_was_picked_on_it() {
    let mut picked = Progress::new();
    picked.close(
        TaskRef {
            task: 1042,
            line: 1,
        },
        2,
    ); // short: 2 of 3
    picked.close(
        TaskRef {
            task: 1042,
            line: 2,
        },
        0,
    ); // nothing found
    let mut s = PackSession::new(list(), picked);
    s.handle(typed("ORDER:55"), 9);
    assert_eq!(s.lines(55).len(), 1);
    s.handle(typed("TEA"), 9);
    let effects = s.handle(typed("TEA"), 9);
    assert_eq!(
        effects,
        [pack("TEA", "A-03-2", 2, "1042:1"), Effect::OrderPacked(55)]
    );
}

#[test]
fn the_pack_screen_shows_lines_and_the_buyers_remarks() {
    let mut s = station();
    assert_eq!(s.view().remarks, None);
    s.handle(typed("ORDER:55"), 9);
    s.handle(typed("TEA"), 9);
    let view = s.view();
    assert_eq!(view.headline, "PACK ORDER 55: SCAN ITEMS");
    assert_eq!(view.details, ["-- TEA  1/3", &format!("-- {GTIN}  0/2")]);
    let remarks = "gift wrap please, no invoice in the parcel";
    assert_eq!(view.remarks.as_deref(), Some(remarks));
}
