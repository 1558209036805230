//! Every step and every refusal of guided picking and counting.

use super::fixtures::*;
use super::item::LotChoice;
use super::{Beep, Effect, Input, NoticeLevel, PickSession, Progress, Record, ShortReason, Step};
use protocol::{MovementKind, TaskRef};

const ERROR: Effect = Effect::Beep(Beep::Error);
const GOOD: Effect = Effect::Beep(Beep::Good);

fn at(task: u64, line: u32) -> TaskRef {
    TaskRef { task, line }
}

fn notice(s: &PickSession) -> (NoticeLevel, String) {
    let n = s.view().notice.expect("a notice");
    (n.level, n.text)
}

/// A session at the item step of line 1042:`line`.
fn at_item(line: u32) -> PickSession {
    let mut s = session();
    if line == 2 {
        s.handle(typed("LOC:A-03-2"), 7);
        s.handle(typed("TEA"), 7);
        s.handle(typed(""), 7);
    }
    let location = if line == 1 {
        "LOC:A-03-2"
    } else {
        "LOC:B-01-1"
    };
    assert_eq!(s.handle(typed(location), 7), [GOOD]);
    assert_eq!(s.step(), &Step::ScanItem(at(1042, line)));
    s
}

#[test]
fn a_pick_line_goes_location_item_quantity_then_the_next_line() {
    let mut s = session();
    assert_eq!(s.step(), &Step::GoTo(at(1042, 1)));
    assert_eq!(s.handle(typed("LOC:A-03-2"), 7), [GOOD]);
    assert_eq!(s.step(), &Step::ScanItem(at(1042, 1)));
    assert_eq!(s.handle(Input::Scan("TEA".into()), 7), [GOOD]);
    assert!(matches!(s.step(), Step::Quantity { .. }));
    // Enter takes the line's open quantity.
    let effects = s.handle(typed(""), 7);
    let want = draft(MovementKind::Pick, "TEA", "A-03-2", 3, None, "1042:1");
    assert_eq!(
        effects,
        [Effect::Record(Record {
            draft: want,
            short: None
        })]
    );
    assert_eq!(s.step(), &Step::GoTo(at(1042, 2)));
    assert_eq!(
        notice(&s),
        (NoticeLevel::Done, "picked 3 TEA at A-03-2".into())
    );
    assert_eq!(s.progress().closed(at(1042, 1)), Some(3));
}

#[test]
fn a_typed_location_id_and_a_typed_quantity_work_too() {
    let mut s = session();
    assert_eq!(s.handle(typed("A-03-2"), 7), [GOOD]);
    s.handle(typed("TEA"), 7);
    let effects = s.handle(typed(" 3 "), 7);
    assert_eq!(records(&effects)[0].draft.quantity, 3);
}

#[test]
fn refusals_record_nothing_and_keep_the_step() {
    let gtin_named = format!("wrong item {GTIN}: scan TEA");
    #[rustfmt::skip]
    let table: Vec<(u8, Input, &str)> = vec![
        (0, typed("LOC:B-01-1"), "wrong location B-01-1: go to A-03-2"),
        (0, typed("TEA"), "scan the location label of A-03-2 first"),
        (0, typed("MODE:pick"), "a mode card does nothing here"),
        (0, typed("LOC:bad/id"), "location label: location contains '/', '+' or '#'"),
        (1, typed("MUG"), "wrong item MUG: scan TEA"),
        (1, Input::Scan("]E09506000134352".into()), &gtin_named),
        (1, typed("LOC:C-02-4"), "wrong location C-02-4: this line is at A-03-2"),
        (1, typed("]C10109506000134353"), "bad check digit in GTIN-14 (01): expected 2, found 3"),
        (2, typed("4"), "over-pick: the line asks 3, not 4"),
        (2, typed("1000000000"), "1000000000 is not a number of units"),
        (2, typed("-1"), "-1 is not a number of units"),
        (2, typed("three"), "three is not a number of units"),
        (2, Input::Scan("3".into()), "a scan is not a quantity: type it on the keypad"),
        (2, Input::Scan("TEA".into()), "a scan is not a quantity: type it on the keypad"),
    ];
    for (depth, input, want) in table {
        let mut s = session();
        for step in [typed("LOC:A-03-2"), typed("TEA")]
            .into_iter()
            .take(depth.into())
        {
            s.handle(step, 7);
        }
        let before = s.step().clone();
        assert_eq!(s.handle(input.clone(), 7), [ERROR], "{input:?}");
        assert_eq!(s.step(), &before, "{input:?} moved the step");
        assert_eq!(
            notice(&s),
            (NoticeLevel::Refused, want.to_string()),
            "{input:?}"
        );
        assert_eq!(s.progress(), &Progress::new());
    }
}

#[test]
fn gs1_lots_are_checked_against_the_suggestion_and_expiry() {
    let suggested = LotChoice {
        lot: Some("L9@2027-09-30".into()),
        expiry: super::Day::new(2027, 9, 30),
        deviation: None,
    };
    // The suggested lot, by GS1 or by a plain retail read.
    for read in [GS1_L9, "]E09506000134352", GTIN] {
        let mut s = at_item(2);
        assert_eq!(s.handle(typed(read), 7), [GOOD], "{read:?}");
        let want = Step::Quantity {
            at: at(1042, 2),
            lot: suggested.clone(),
        };
        assert_eq!(s.step(), &want, "{read:?}");
    }
    let mut s = at_item(2);
    assert_eq!(s.handle(typed(GS1_EXPIRED), 7), [ERROR]);
    let expired = "lot L7@2026-03-31 expired on 2026-03-31: do not pick it";
    assert_eq!(notice(&s), (NoticeLevel::Refused, expired.into()));
    assert_eq!(s.step(), &Step::ScanItem(at(1042, 2)));
    // Another good lot is advice only: picked as scanned, with a note.
    assert_eq!(s.handle(typed(GS1_L8), 7), [GOOD]);
    let note = "lot L8@2028-01-01 is not the suggested L9@2027-09-30";
    assert_eq!(notice(&s), (NoticeLevel::Info, note.into()));
    let effects = s.handle(typed("2"), 7);
    let want = draft(
        MovementKind::Pick,
        GTIN,
        "B-01-1",
        2,
        Some("L8@2028-01-01"),
        "1042:2",
    );
    assert_eq!(records(&effects)[0].draft, want);
}

#[test]
fn an_expired_suggestion_is_refused_even_from_a_plain_label() {
    let mut s = at_item(2);
    s.set_today(super::Day::new(2027, 10, 1).expect("date"));
    assert_eq!(s.handle(typed(GTIN), 7), [ERROR]);
    let want = "lot L9@2027-09-30 expired on 2027-09-30: do not pick it";
    assert_eq!(notice(&s), (NoticeLevel::Refused, want.into()));
}

#[test]
fn a_short_pick_asks_a_reason_before_recording() {
    let mut s = at_item(1);
    s.handle(typed("TEA"), 7);
    assert_eq!(s.handle(typed("2"), 7), []);
    assert!(matches!(s.step(), Step::Reason { units: 2, .. }));
    let asks = "short pick: 2 of 3; choose a reason";
    assert_eq!(notice(&s), (NoticeLevel::Info, asks.into()));
    assert_eq!(
        s.handle(typed(""), 7),
        [],
        "Enter without a reason does nothing"
    );
    for bad in ["4", "x"] {
        assert_eq!(s.handle(typed(bad), 7), [ERROR], "{bad:?}");
        assert!(matches!(s.step(), Step::Reason { .. }));
    }
    assert_eq!(s.handle(Input::Scan("2".into()), 7), [ERROR]);
    let effects = s.handle(typed("2"), 7);
    // The reason travels with the line, for the hub's discrepancy.
    let want = draft(
        MovementKind::Pick,
        "TEA",
        "A-03-2",
        2,
        None,
        "1042:1:damaged",
    );
    assert_eq!(
        effects,
        [Effect::Record(Record {
            draft: want,
            short: Some(ShortReason::Damaged)
        })]
    );
    assert_eq!(s.step(), &Step::GoTo(at(1042, 2)));
}

#[test]
fn nothing_found_is_a_count_of_zero_naming_the_line() {
    let mut s = at_item(1);
    s.handle(typed("TEA"), 7);
    assert_eq!(s.handle(typed("0"), 7), []);
    let effects = s.handle(typed("1"), 7);
    let [Effect::Record(record)] = effects.as_slice() else {
        panic!("one record: {effects:?}");
    };
    assert_eq!(record.draft.kind, MovementKind::Count);
    assert_eq!(record.draft.quantity, 0);
    assert_eq!(record.draft.task.as_deref(), Some("1042:1:not_found"));
    assert_eq!(record.short, Some(ShortReason::NotFound));
    assert_eq!(s.progress().closed(at(1042, 1)), Some(0));
    assert_eq!(s.step(), &Step::GoTo(at(1042, 2)));
}

#[test]
fn a_count_line_records_the_units_counted_even_none() {
    let mut progress = Progress::new();
    progress.close(at(1042, 1), 3);
    progress.close(at(1042, 2), 2);
    let mut s = PickSession::new(list(), progress, today());
    assert_eq!(s.step(), &Step::GoTo(at(1043, 1)));
    assert_eq!(s.view().mode, "COUNT");
    s.handle(typed("LOC:C-02-4"), 7);
    assert_eq!(s.handle(typed("TEA"), 7), [ERROR]);
    assert_eq!(s.handle(typed("MUG"), 7), [GOOD]);
    assert_eq!(s.handle(typed(""), 7), [ERROR]);
    let refused = "type the units counted, then Enter";
    assert_eq!(notice(&s), (NoticeLevel::Refused, refused.into()));
    let effects = s.handle(typed("0"), 7);
    let want = draft(MovementKind::Count, "MUG", "C-02-4", 0, None, "1043:1");
    assert_eq!(records(&effects)[0].draft, want);
    assert_eq!(s.step(), &Step::Idle);
    assert_eq!(s.view().headline, "ALL LINES DONE");
    assert_eq!(s.handle(typed("LOC:C-02-4"), 7), [ERROR]);
}

#[test]
fn esc_goes_back_one_step_at_a_time() {
    let mut s = at_item(1);
    s.handle(typed("TEA"), 7);
    s.handle(typed("1"), 7);
    let back = [
        "Quantity",
        "ScanItem(TaskRef { task: 1042, line: 1 })",
        "GoTo(TaskRef { task: 1042, line: 1 })",
        "GoTo(TaskRef { task: 1042, line: 1 })",
    ];
    assert!(matches!(s.step(), Step::Reason { .. }));
    for want in back {
        assert_eq!(s.handle(Input::Cancel, 7), []);
        assert!(
            format!("{:?}", s.step()).starts_with(want),
            "{:?}",
            s.step()
        );
    }
}

#[test]
fn lines_closed_here_or_by_the_hub_are_not_asked_again() {
    let mut hub_done = list();
    hub_done.tasks[0].lines[0].done = 2; // closed short by the hub
    let s = PickSession::new(hub_done, Progress::new(), today());
    assert_eq!(s.step(), &Step::GoTo(at(1042, 2)));
    assert_eq!(s.view().tally.map(|t| (t.done, t.total)), Some((1, 3)));
    let mut progress = Progress::new();
    progress.close(at(1042, 1), 3);
    let s = PickSession::new(list(), progress, today());
    assert_eq!(s.step(), &Step::GoTo(at(1042, 2)));
}

#[test]
fn a_new_list_keeps_the_current_line_or_moves_on() {
    let mut s = at_item(1);
    let mut newer = list();
    newer.version += 1;
    s.replace_list(newer.clone());
    assert_eq!(s.step(), &Step::ScanItem(at(1042, 1)));
    newer.tasks.remove(0);
    s.replace_list(newer);
    assert_eq!(s.step(), &Step::GoTo(at(1043, 1)));
    let moved = "the queue changed: this line is no longer yours";
    assert_eq!(notice(&s), (NoticeLevel::Info, moved.into()));
    let mut empty = list();
    empty.tasks.clear();
    s.replace_list(empty);
    assert_eq!(
        (s.step(), s.view().headline.as_str()),
        (&Step::Idle, "NO WORK")
    );
}

#[test]
fn a_journal_failure_reopens_the_line() {
    let mut s = at_item(1);
    s.handle(typed("TEA"), 7);
    let effects = s.handle(typed(""), 7);
    assert_eq!(records(&effects).len(), 1);
    assert_eq!(s.journal_refused(at(1042, 1), "disk full\n"), [ERROR]);
    assert_eq!(s.step(), &Step::GoTo(at(1042, 1)));
    assert_eq!(s.progress().closed(at(1042, 1)), None);
    let refused = "not recorded: disk full ";
    assert_eq!(notice(&s), (NoticeLevel::Refused, refused.into()));
}
