//! The screens of every step and refusal, drawn at 80x25 into ratatui's
//! TestBackend and read back as text.

use super::fixtures::*;
use super::screen::draw;
use super::{Input, PackSession, PickSession, Progress, ScreenView, SyncState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Rows of the layout (see `screen::draw`).
const STATUS: usize = 0;
const HEADLINE: usize = 2;
const BIG: usize = 3;
const DETAILS: usize = 9;
const PROMPT: usize = 15;
const NOTICE: usize = 16;
const REMARKS: usize = 18;

fn screen(view: &ScreenView) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(80, 25)).expect("terminal");
    terminal.draw(|f| draw(f, view)).expect("draw");
    let buffer = terminal.backend().buffer();
    (0..25u16)
        .map(|y| {
            let row: String = (0..80u16).map(|x| buffer[(x, y)].symbol()).collect();
            row.trim_end().to_string()
        })
        .collect()
}

fn picked_after(inputs: &[&str]) -> PickSession {
    let mut s = session();
    s.set_sync(SyncState {
        online: true,
        backlog: 0,
    });
    for input in inputs {
        s.handle(typed(input), 7);
    }
    s
}

/// Expected texts by row.
type Rows<'a> = Vec<(usize, &'a str)>;

/// A status line: `left`, then `right` flush with column 80.
fn bar(left: &str, right: &str) -> String {
    format!("{left}{right:>width$}", width = 80 - left.chars().count())
}

fn check(rows: &[String], want: &[(usize, &str)], case: &str) {
    for (row, text) in want {
        assert_eq!(rows[*row], *text, "{case}: row {row}\n{}", rows.join("\n"));
    }
}

#[test]
fn every_step_and_refusal_of_a_plain_line_on_screen() {
    let l1 = ["LOC:A-03-2", "TEA"];
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<&str>, Rows)> = vec![
        ("go to", vec![], vec![
            (HEADLINE, "GO TO A-03-2"),
            (DETAILS, "task 1042 line 1  order 55"),
            (DETAILS + 1, "TEA x3 at A-03-2"),
            (PROMPT, "> scan the location label"),
            (NOTICE, ""),
        ]),
        ("wrong location", vec!["LOC:B-01-1"], vec![
            (HEADLINE, "GO TO A-03-2"),
            (NOTICE, "REFUSED: wrong location B-01-1: go to A-03-2"),
        ]),
        ("scan item", l1[..1].to_vec(), vec![
            (HEADLINE, "SCAN ITEM TEA  x3"),
            (PROMPT, "> at A-03-2: scan the item"),
        ]),
        ("wrong item", vec!["LOC:A-03-2", "MUG"], vec![
            (HEADLINE, "SCAN ITEM TEA  x3"),
            (NOTICE, "REFUSED: wrong item MUG: scan TEA"),
        ]),
        ("quantity", l1.to_vec(), vec![
            (HEADLINE, "CONFIRM QTY TEA  x3"),
            (PROMPT, "> type the units picked, Enter = 3"),
        ]),
        ("over-pick", [&l1[..], &["5"]].concat(), vec![
            (HEADLINE, "CONFIRM QTY TEA  x3"),
            (NOTICE, "REFUSED: over-pick: the line asks 3, not 5"),
        ]),
        ("short pick", [&l1[..], &["1"]].concat(), vec![
            (HEADLINE, "SHORT PICK 1 OF 3: WHY?"),
            (DETAILS + 2, "1  not found"),
            (DETAILS + 3, "2  damaged"),
            (DETAILS + 4, "3  other"),
            (PROMPT, "> type 1, 2 or 3; Esc = change the quantity"),
            (NOTICE, "NOTE: short pick: 1 of 3; choose a reason"),
        ]),
    ];
    check_pick_screens(table);
}

#[test]
fn every_step_and_refusal_of_a_lot_line_on_screen() {
    let l2 = ["LOC:A-03-2", "TEA", "", "LOC:B-01-1"];
    let one_of_three = bar(" PICK   lines 1/3", "ONLINE");
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<&str>, Rows)> = vec![
        ("picked, next line", l2[..3].to_vec(), vec![
            (STATUS, &one_of_three),
            (HEADLINE, "GO TO B-01-1"),
            (DETAILS + 2, "lot suggested: L9@2027-09-30"),
            (NOTICE, "OK: picked 3 TEA at A-03-2"),
        ]),
        ("expired lot", [&l2[..], &[GS1_EXPIRED]].concat(), vec![
            (HEADLINE, "SCAN ITEM 09506000134352  x2"),
            (NOTICE, "REFUSED: lot L7@2026-03-31 expired on 2026-03-31: do not pick it"),
        ]),
        ("other lot", [&l2[..], &[GS1_L8]].concat(), vec![
            (HEADLINE, "CONFIRM QTY 09506000134352  x2"),
            (DETAILS + 3, "lot scanned: L8@2028-01-01"),
            (NOTICE, "NOTE: lot L8@2028-01-01 is not the suggested L9@2027-09-30"),
        ]),
    ];
    check_pick_screens(table);
}

/// Each case: a fresh session given the inputs, its screen's rows.
fn check_pick_screens(table: Vec<(&str, Vec<&str>, Rows)>) {
    for (case, inputs, want) in table {
        let rows = screen(&picked_after(&inputs).view());
        check(&rows, &want, case);
        assert!(
            rows[BIG].contains('█'),
            "{case}: no large text\n{}",
            rows.join("\n")
        );
        assert!(
            rows[REMARKS].starts_with("┌ REMARKS ─") && rows[REMARKS].ends_with('┐'),
            "{case}"
        );
        assert!(rows[REMARKS + 1].contains("gift wrap please"), "{case}");
        assert_eq!(
            rows[24],
            "Enter = confirm   Esc = back   digits = quantity or reason"
        );
    }
}

#[test]
fn count_and_idle_screens_and_the_sync_state() {
    let mut progress = Progress::new();
    progress.close(
        protocol::TaskRef {
            task: 1042,
            line: 1,
        },
        3,
    );
    progress.close(
        protocol::TaskRef {
            task: 1042,
            line: 2,
        },
        2,
    );
    let mut s = PickSession::new(list(), progress, today());
    s.set_sync(SyncState {
        online: false,
        backlog: 12,
    });
    s.handle(typed("LOC:C-02-4"), 7);
    s.handle(typed("MUG"), 7);
    let rows = screen(&s.view());
    check(
        &rows,
        &[
            (STATUS, &bar(" COUNT   lines 2/3", "OFFLINE backlog 12")),
            (HEADLINE, "COUNT MUG AT C-02-4"),
            (DETAILS + 1, "count MUG at C-02-4"),
            (PROMPT, "> type the units counted, then Enter"),
        ],
        "count",
    );
    assert_eq!(rows[REMARKS], "", "a count has no remarks");
    s.handle(typed("4"), 7);
    s.set_sync(SyncState {
        online: true,
        backlog: 3,
    });
    let rows = screen(&s.view());
    check(
        &rows,
        &[
            (STATUS, &bar(" PICK   lines 3/3", "ONLINE backlog 3")),
            (HEADLINE, "ALL LINES DONE"),
            (PROMPT, "> waiting for the next task list"),
            (NOTICE, "OK: counted 4 MUG at C-02-4"),
        ],
        "all done",
    );
}

#[test]
fn every_pack_step_and_refusal_on_screen() {
    let mut s = PackSession::new(list(), Progress::new());
    s.set_sync(SyncState {
        online: true,
        backlog: 0,
    });
    let rows = screen(&s.view());
    check(
        &rows,
        &[
            (STATUS, &bar(" PACK", "ONLINE")),
            (HEADLINE, "SCAN ORDER OR PICK LIST"),
            (PROMPT, "> scan the tote label or the pick list"),
        ],
        "scan order",
    );
    s.handle(typed("ORDER:99"), 9);
    check(
        &screen(&s.view()),
        &[(NOTICE, "REFUSED: order 99 is not in this queue")],
        "no order",
    );
    s.handle(typed("ORDER:55"), 9);
    s.handle(Input::Scan("TEA".into()), 9);
    s.handle(typed("MUG"), 9);
    let rows = screen(&s.view());
    check(
        &rows,
        &[
            (STATUS, &bar(" PACK   units 1/5", "ONLINE")),
            (HEADLINE, "PACK ORDER 55: SCAN ITEMS"),
            (DETAILS, "-- TEA  1/3"),
            (DETAILS + 1, "-- 09506000134352  0/2"),
            (PROMPT, "> scan each item; Esc = leave the order open"),
            (NOTICE, "REFUSED: wrong item MUG: not in order 55"),
            (
                REMARKS + 1,
                "│gift wrap please, no invoice in the parcel                                    │",
            ),
        ],
        "items",
    );
    assert!(rows[BIG].contains('█'));
}

#[test]
fn extra_items_and_the_packed_order_on_screen() {
    let mut s = PackSession::new(list(), Progress::new());
    s.handle(typed("ORDER:55"), 9);
    for _ in 0..4 {
        s.handle(typed("TEA"), 9);
    }
    check(
        &screen(&s.view()),
        &[(NOTICE, "REFUSED: extra item: order 55 takes 3 TEA")],
        "extra",
    );
    s.handle(typed("]C10109506000134352372"), 9);
    check(
        &screen(&s.view()),
        &[
            (HEADLINE, "SCAN ORDER OR PICK LIST"),
            (NOTICE, "OK: order 55 packed: ready for labels"),
        ],
        "packed",
    );
}

#[test]
fn long_details_and_notices_stay_inside_their_rows() {
    let view = ScreenView {
        mode: "PACK",
        headline: "PACK ORDER 7: SCAN ITEMS".into(),
        big: Some("A-LOCATION-FAR-TOO-LONG-FOR-BIG".into()),
        details: (1..=9).map(|i| format!("-- SKU-{i}  0/1")).collect(),
        prompt: "scan".into(),
        notice: Some(super::Notice::refused("x".repeat(150))),
        tally: None,
        sync: SyncState::default(),
        remarks: None,
    };
    let rows = screen(&view);
    assert_eq!(rows[BIG], "", "too long to enlarge");
    assert_eq!(rows[DETAILS + 4], "-- SKU-5  0/1");
    assert_eq!(rows[DETAILS + 5], "... and 4 more");
    assert!(rows[NOTICE + 1].starts_with("xxx"));
    assert_eq!(rows[PROMPT], "> scan");
    assert!(rows[0].ends_with("OFFLINE backlog 0"));
}
