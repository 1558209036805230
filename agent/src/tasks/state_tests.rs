//! The queue's rules, case by case: only newer versions are taken, a
//! resend is answered with the version held, local marks show progress
//! and a newer list replaces the marks of the lines it reports on.

use super::state::{MarkError, Offer, Progress, QueueState};
use protocol::{TaskEntry, TaskKind, TaskLine, TaskList, TaskRef};

/// A list for `s1`/`hh-1` at `version`.
pub(crate) fn list(version: u64, tasks: Vec<TaskEntry>) -> TaskList {
    TaskList {
        site: "s1".into(),
        device: "hh-1".into(),
        version,
        tasks,
    }
}

fn line(line: u32, quantity: i64, done: i64) -> TaskLine {
    TaskLine {
        line,
        sku: format!("SKU-{line}"),
        location: format!("A-{line:02}"),
        lot: None,
        quantity,
        done,
        order: None,
    }
}

/// A pick task with `(line, quantity, done)` lines.
pub(crate) fn pick_task(task: u64, lines: &[(u32, i64, i64)]) -> TaskEntry {
    TaskEntry {
        task,
        kind: TaskKind::Pick,
        order: Some(500 + task),
        remarks: None,
        lines: lines.iter().map(|&(n, q, d)| line(n, q, d)).collect(),
    }
}

/// A count task with lines numbered `lines`.
pub(crate) fn count_task(task: u64, lines: &[u32]) -> TaskEntry {
    TaskEntry {
        task,
        kind: TaskKind::Count,
        order: None,
        remarks: None,
        lines: lines.iter().map(|&n| line(n, 0, 0)).collect(),
    }
}

fn at(task: u64, line: u32) -> TaskRef {
    TaskRef { task, line }
}

fn taken(version: u64, marks_dropped: usize) -> Offer {
    Offer::Taken {
        version,
        marks_dropped,
    }
}

#[test]
fn only_a_newer_version_is_taken_and_a_resend_is_answered_with_the_held_one() {
    let mut q = QueueState::default();
    assert_eq!(q.version(), 0);
    let v2 = list(2, vec![pick_task(1, &[(1, 3, 0)])]);
    assert_eq!(q.offer(v2.clone()), Ok(taken(2, 0)));
    // The same list again (a resend) and an older one change nothing, and
    // say what is held, which is what the device acknowledges.
    let v1 = list(1, vec![pick_task(9, &[(1, 1, 0)])]);
    let mut changed = v2.clone();
    changed.tasks.clear();
    for stale in [v2.clone(), v1, changed] {
        assert_eq!(q.offer(stale), Ok(Offer::NotNewer { held: 2 }));
        assert_eq!(q.list(), Some(&v2));
    }
    assert_eq!(Offer::NotNewer { held: 2 }.held(), 2);
    let v3 = list(3, vec![]);
    assert_eq!(q.offer(v3.clone()).map(|o| o.held()), Ok(3));
    assert_eq!((q.list(), q.next_open_line()), (Some(&v3), None));
}

#[test]
fn an_invalid_list_is_refused_whole_and_the_queue_kept() {
    let mut q = QueueState::default();
    q.offer(list(1, vec![pick_task(1, &[(1, 3, 0)])])).unwrap();
    let before = q.clone();
    let overdone = list(5, vec![pick_task(1, &[(1, 3, 4)])]);
    let twice = list(5, vec![pick_task(1, &[]), pick_task(1, &[])]);
    for bad in [overdone, twice] {
        assert!(q.offer(bad).is_err());
        assert_eq!(q, before);
    }
}

#[test]
fn lines_come_in_list_order_and_marks_move_the_next_open_line() {
    let mut q = QueueState::default();
    let tasks = vec![pick_task(7, &[(2, 3, 0), (1, 1, 1)]), count_task(8, &[4])];
    q.offer(list(1, tasks)).unwrap();
    // Line 7:1 is already done by the hub; walking order is the list's.
    let order: Vec<_> = q.lines().iter().map(|l| (l.reference, l.open)).collect();
    assert_eq!(
        order,
        [(at(7, 2), true), (at(7, 1), false), (at(8, 4), true)]
    );
    let next = q.next_open_line().expect("open line");
    assert_eq!(
        (next.reference, next.order, next.done),
        (at(7, 2), Some(507), 0)
    );
    let after = q.mark_done(at(7, 2), 2).expect("mark");
    assert!(after.open && after.done == 2);
    let after = q
        .mark_done(at(7, 2), 5)
        .expect("an over-pick happened: it is marked");
    assert!(!after.open && after.done == 3, "shown at most the quantity");
    assert_eq!(q.next_open_line().map(|l| l.reference), Some(at(8, 4)));
    // A count of nothing found is still a count.
    let counted = q.mark_done(at(8, 4), 0).expect("count");
    assert!(!counted.open && counted.done == 0);
    assert_eq!(q.next_open_line(), None);
    let progress = Progress {
        lines_done: 3,
        lines_total: 3,
    };
    assert_eq!(q.progress(), progress);
}

#[test]
fn marks_are_refused_for_lines_not_held_and_impossible_quantities() {
    let mut q = QueueState::default();
    assert_eq!(
        q.mark_done(at(1, 1), 1),
        Err(MarkError::NotInQueue(at(1, 1)))
    );
    q.offer(list(
        1,
        vec![pick_task(1, &[(1, 3, 0)]), count_task(2, &[1])],
    ))
    .unwrap();
    assert_eq!(
        q.mark_done(at(1, 2), 1),
        Err(MarkError::NotInQueue(at(1, 2)))
    );
    for (line, quantity) in [(at(1, 1), 0), (at(1, 1), -1), (at(2, 1), -1)] {
        assert!(matches!(
            q.mark_done(line, quantity),
            Err(MarkError::Quantity { .. })
        ));
    }
    assert!(q.mark_done(at(1, 1), 1_000_001).is_err());
    assert!(q.marks().is_empty());
}

#[test]
fn a_newer_list_replaces_the_marks_of_the_lines_it_reports_on() {
    let mut q = QueueState::default();
    let v1 = vec![
        pick_task(1, &[(1, 5, 0), (2, 4, 1)]),
        pick_task(2, &[(1, 2, 0)]),
        count_task(3, &[1]),
    ];
    q.offer(list(1, v1)).unwrap();
    q.mark_done(at(1, 1), 3).unwrap();
    q.mark_done(at(1, 2), 1).unwrap();
    q.mark_done(at(2, 1), 1).unwrap();
    q.mark_done(at(3, 1), 12).unwrap();
    assert_eq!(q.line(at(1, 2)).map(|l| l.done), Some(2));
    // v2: the hub saw the picks on 1:1 (done 0 -> 3); 1:2 unchanged (our
    // scan is still on its way); task 2 moved away; the count still open.
    let v2 = vec![pick_task(1, &[(1, 5, 3), (2, 4, 1)]), count_task(3, &[1])];
    assert_eq!(q.offer(list(2, v2)), Ok(taken(2, 2)));
    let marks: Vec<_> = q.marks().iter().map(|(&r, &u)| (r, u)).collect();
    assert_eq!(marks, [(at(1, 2), 1), (at(3, 1), 12)]);
    let done: Vec<_> = q
        .lines()
        .iter()
        .map(|l| (l.reference, l.done, l.open))
        .collect();
    assert_eq!(
        done,
        [
            (at(1, 1), 3, true),
            (at(1, 2), 2, true),
            (at(3, 1), 12, false)
        ]
    );
    // v3: the hub reports 1:2 moved on (done 1 -> 2) and the count closed
    // (dropped from the list): their marks go, the hub's figures stand.
    let v3 = vec![pick_task(1, &[(1, 5, 3), (2, 4, 2)])];
    assert_eq!(q.offer(list(3, v3)), Ok(taken(3, 2)));
    assert!(q.marks().is_empty());
    assert_eq!(q.line(at(1, 2)).map(|l| l.done), Some(2));
}

#[test]
fn stored_parts_must_fit_together() {
    let l = list(1, vec![pick_task(1, &[(1, 3, 0)])]);
    let mark = |r, u| [(r, u)].into_iter().collect();
    assert!(QueueState::from_parts(Some(l.clone()), mark(at(1, 1), 2)).is_ok());
    assert!(QueueState::from_parts(Some(l.clone()), mark(at(1, 9), 2)).is_err());
    assert!(QueueState::from_parts(Some(l), mark(at(1, 1), -2)).is_err());
    assert!(QueueState::from_parts(None, mark(at(1, 1), 1)).is_err());
}
