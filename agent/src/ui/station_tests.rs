//! A station opened on a stored queue knows what this device already
//! closed (the queue's marks and the journal's unsent picks and counts),
//! so a restarted picker is not sent back to a line it picked, and a
//! restarted pack station asks for the units picked here.

use super::station::{closed_here, Station, UiMode};
use crate::draft::MovementDraft;
use crate::journal::Journal;
use crate::picking::{Effect, Input};
use crate::tasks::state_tests::{count_task, list, pick_task};
use crate::tasks::TaskQueue;
use protocol::{MovementKind, TaskRef};

fn at(task: u64, line: u32) -> TaskRef {
    TaskRef { task, line }
}

/// A journal whose queue holds pick task 7 (lines 1 and 2, of 3 and 2
/// units) and count task 8; line 7:1 is marked picked, line 8:1 counted
/// in the journal only.
fn worked_queue() -> (tempfile::TempDir, Journal, TaskQueue) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("journal");
    let queue = TaskQueue::open(&journal).expect("queue");
    let mut pick = pick_task(7, &[(1, 3, 0), (2, 2, 0)]);
    for line in &mut pick.lines {
        line.order = pick.order;
    }
    let tasks = vec![pick, count_task(8, &[1])];
    queue.offer(list(1, tasks)).expect("offer");
    queue.mark_done(at(7, 1), 3).expect("mark");
    let mut count = MovementDraft::new(MovementKind::Count, "SKU-1", "A-01", 5);
    count.task = Some("8:1".into());
    journal.record(count).expect("record");
    (dir, journal, queue)
}

#[test]
fn closed_lines_come_from_the_queue_marks_and_the_unsent_journal() {
    let (_dir, journal, queue) = worked_queue();
    let closed: Vec<_> = closed_here(&queue, &journal).iter().collect();
    assert_eq!(closed, [(at(7, 1), 3), (at(8, 1), 5)]);
}

#[test]
fn a_reopened_pick_station_starts_at_the_first_line_still_open() {
    let (_dir, journal, queue) = worked_queue();
    let station = Station::open(UiMode::Pick, &queue, &journal, 0);
    let view = station.view();
    assert_eq!(view.headline, "GO TO A-02");
    let tally = view.tally.expect("tally");
    assert_eq!((tally.done, tally.total), (2, 3));
}

#[test]
fn a_reopened_pack_station_packs_what_was_picked_here() {
    let (_dir, journal, queue) = worked_queue();
    let mut station = Station::open(UiMode::Pack, &queue, &journal, 0);
    let line = |text: &str| Input::Line(text.into());
    assert!(!station.handle(line("ORDER:507"), 1).is_empty());
    assert_eq!(station.view().headline, "PACK ORDER 507: SCAN ITEMS");
    let mut effects = Vec::new();
    for item in ["SKU-1", "SKU-1", "SKU-1", "SKU-2", "SKU-2"] {
        effects = station.handle(line(item), 2);
    }
    let packs: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(r) => Some((r.draft.kind, r.draft.quantity, r.draft.task.clone())),
            _ => None,
        })
        .collect();
    let pack = |units, at: &str| (MovementKind::Pack, units, Some(at.to_string()));
    assert_eq!(packs, [pack(3, "7:1"), pack(2, "7:2")]);
    assert_eq!(effects.last(), Some(&Effect::OrderPacked(507)));
}

#[test]
fn mode_words() {
    assert_eq!(UiMode::parse("pick"), Some(UiMode::Pick));
    assert_eq!(UiMode::parse(" PACK "), Some(UiMode::Pack));
    assert_eq!(UiMode::parse("count"), None);
}
