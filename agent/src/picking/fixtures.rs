//! Test data shared by the picking tests: one pick list of two lines for
//! order 55 (with the buyer's remarks), and one count task.

use super::{Day, Effect, Input, PickSession, Progress, Record};
use crate::draft::MovementDraft;
use protocol::{MovementKind, TaskEntry, TaskKind, TaskLine, TaskList};

/// A GTIN-14 with a good check digit.
pub(super) const GTIN: &str = "09506000134352";
/// GS1: the suggested lot L9, good through 2027-09-30.
pub(super) const GS1_L9: &str = "]C1010950600013435217270930\u{1d}10L9";
/// GS1: lot L7, expired 2026-03-31 (before [`today`]).
pub(super) const GS1_EXPIRED: &str = "]C1010950600013435217260331\u{1d}10L7";
/// GS1: lot L8, not the suggestion, good through 2028-01-01.
pub(super) const GS1_L8: &str = "]C1010950600013435217280101\u{1d}10L8";

pub(super) fn today() -> Day {
    Day::new(2026, 5, 1).expect("a date")
}

pub(super) fn line(
    line: u32,
    sku: &str,
    location: &str,
    lot: Option<&str>,
    quantity: i64,
) -> TaskLine {
    TaskLine {
        line,
        sku: sku.into(),
        location: location.into(),
        lot: lot.map(Into::into),
        quantity,
        done: 0,
        order: None,
    }
}

pub(super) fn pick_task(task: u64, order: u64, lines: Vec<TaskLine>) -> TaskEntry {
    TaskEntry {
        task,
        kind: TaskKind::Pick,
        order: Some(order),
        remarks: None,
        lines: lines
            .into_iter()
            .map(|l| TaskLine {
                order: Some(order),
                ..l
            })
            .collect(),
    }
}

/// Task 1042 picks order 55: 3 TEA at A-03-2, then 2 of the GTIN (lot L9
/// suggested) at B-01-1; task 1043 counts MUG at C-02-4.
pub(super) fn list() -> TaskList {
    let mut pick = pick_task(
        1042,
        55,
        vec![
            line(1, "TEA", "A-03-2", None, 3),
            line(2, GTIN, "B-01-1", Some("L9@2027-09-30"), 2),
        ],
    );
    pick.remarks = Some("gift wrap please, no invoice in the parcel".into());
    let count = TaskEntry {
        task: 1043,
        kind: TaskKind::Count,
        order: None,
        remarks: None,
        lines: vec![line(1, "MUG", "C-02-4", None, 0)],
    };
    TaskList {
        site: "s1".into(),
        device: "d1".into(),
        version: 4,
        tasks: vec![pick, count],
    }
}

pub(super) fn session() -> PickSession {
    PickSession::new(list(), Progress::new(), today())
}

pub(super) fn typed(text: &str) -> Input {
    Input::Line(text.into())
}

/// The movement a step should record.
pub(super) fn draft(
    kind: MovementKind,
    sku: &str,
    location: &str,
    quantity: i64,
    lot: Option<&str>,
    task: &str,
) -> MovementDraft {
    let mut d = MovementDraft::new(kind, sku, location, quantity);
    d.lot = lot.map(Into::into);
    d.device_time_ms = 7;
    d.task = Some(task.into());
    d
}

/// The drafts among `effects`.
pub(super) fn records(effects: &[Effect]) -> Vec<&Record> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(r) => Some(r),
            _ => None,
        })
        .collect()
}
