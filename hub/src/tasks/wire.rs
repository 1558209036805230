//! A device's queue as the wire's [`TaskList`] (protocol/WIRE.md §3): its
//! open tasks in the order to work them, then its picked tasks whose order
//! is not packed yet (for the pack station), each line with what the hub
//! has already seen done. Lines handed to another device are left out (the
//! other device's list carries them). A queue larger than one frame may
//! carry is cut after the last task that fits: the device works from the
//! top, and every change sends the queue again.

use hub_core::tasks::{LineState, Task, TaskKind as CoreKind};
use protocol::validate::{MAX_LIST_LINES, MAX_LIST_TASKS, MAX_TASK_LINES};
use protocol::{TaskEntry, TaskKind, TaskLine, TaskList};

/// The list of `device` at `version` from its open `tasks` (any order;
/// sorted here by rank, then id), without remarks.
pub fn task_list(site: &str, device: &str, version: u64, tasks: &[Task]) -> TaskList {
    task_list_with(site, device, version, tasks, &mut |_| None)
}

/// [`task_list`] with the buyer's remarks of each task that serves one
/// order, from `remarks` (by order id).
pub fn task_list_with(
    site: &str,
    device: &str,
    version: u64,
    tasks: &[Task],
    remarks: &mut dyn FnMut(u64) -> Option<String>,
) -> TaskList {
    let mut open: Vec<&Task> = tasks.iter().filter(|t| t.in_queue()).collect();
    // Work still to pick or count first, by urgency; picked tasks waiting
    // to be packed after it, so that they can never push it out of a list
    // cut to fit one frame.
    open.sort_by_key(|t| (!t.is_open(), t.rank, t.id));
    let mut entries = Vec::new();
    let mut lines_total = 0;
    for task in open {
        let mut entry = entry_of(task);
        entry.remarks = entry.order.and_then(&mut *remarks).map(|r| screen_text(&r));
        if entry.lines.is_empty() {
            continue;
        }
        let full = entries.len() == MAX_LIST_TASKS
            || lines_total + entry.lines.len() > MAX_LIST_LINES
            || entry.lines.len() > MAX_TASK_LINES;
        if full {
            break;
        }
        lines_total += entry.lines.len();
        entries.push(entry);
    }
    TaskList {
        site: site.to_string(),
        device: device.to_string(),
        version,
        tasks: entries,
    }
}

/// Remarks as a terminal may show them (WIRE.md §4): control characters,
/// line breaks included, as spaces, at most 500 characters.
fn screen_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(protocol::MAX_REMARKS_CHARS)
        .collect()
}

fn entry_of(task: &Task) -> TaskEntry {
    let kind = match task.kind {
        CoreKind::Pick => TaskKind::Pick,
        CoreKind::Count { .. } => TaskKind::Count,
    };
    let lines: Vec<TaskLine> = task
        .lines
        .iter()
        .filter(|l| {
            !matches!(
                l.state,
                LineState::Moved { .. } | LineState::Cancelled { .. }
            )
        })
        .map(|l| TaskLine {
            line: l.line,
            sku: l.sku.clone(),
            location: l.location.code().to_string(),
            lot: Some(l.lot.clone()).filter(|lot| !lot.is_empty()),
            quantity: l.quantity,
            done: l.state.picked().clamp(0, l.quantity),
            order: l.order,
        })
        .collect();
    TaskEntry {
        task: task.id,
        kind,
        order: match task.orders.as_slice() {
            [one] => Some(*one),
            _ => None,
        },
        remarks: None,
        lines,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn remarks_are_shown_as_a_terminal_may_show_them() {
        assert_eq!(screen_text("fragile\ncall\u{1b}[2J"), "fragile call [2J");
        assert_eq!(screen_text(&"x".repeat(600)).chars().count(), 500);
    }

    use super::*;
    use hub_core::tasks::{Class, Location, Rank};

    fn task(id: u64, class: Class, due_ms: u64, lines: usize) -> Task {
        Task {
            id,
            site: "s1".into(),
            kind: CoreKind::Pick,
            device: Some("h1".into()),
            zone: String::new(),
            rank: Rank { class, due_ms },
            orders: vec![id * 10],
            lines: (0..lines as u32)
                .map(|line| hub_core::tasks::TaskLine {
                    line,
                    order: Some(id * 10),
                    order_line: line,
                    sku: "TEA".into(),
                    location: Location::new(format!("A-{:02}-1", line + 1)),
                    lot: String::new(),
                    expiry: None,
                    quantity: 2,
                    state: LineState::Open,
                    done_by: None,
                    packed: 0,
                })
                .collect(),
            created_ms: 0,
            closed_ms: None,
        }
    }

    #[test]
    fn open_tasks_by_rank_valid_on_the_wire_and_cut_to_fit() {
        let mut tasks = vec![
            task(2, Class::Standard, 5, 3),
            task(1, Class::Express, 9, 2),
        ];
        tasks[0].lines[1].state = LineState::Confirmed(2);
        let mut closed = task(3, Class::Express, 1, 1);
        closed.closed_ms = Some(1);
        tasks.push(closed);
        let list = task_list("s1", "h1", 7, &tasks);
        let ids: Vec<u64> = list.tasks.iter().map(|t| t.task).collect();
        assert_eq!(ids, [1, 2], "express first; closed left out");
        assert_eq!(list.tasks[1].lines[1].done, 2);
        assert_eq!(list.tasks[0].order, Some(10));
        list.validate().expect("valid on the wire");
        let many: Vec<Task> = (1..=30).map(|i| task(i, Class::Standard, i, 100)).collect();
        let cut = task_list("s1", "h1", 8, &many);
        let lines: usize = cut.tasks.iter().map(|t| t.lines.len()).sum();
        assert_eq!(cut.tasks.len(), 20, "2,000 lines at most");
        assert!(lines <= MAX_LIST_LINES);
        cut.validate().expect("valid");
        // 250 picked tasks waiting for packing never hide the open one.
        let mut waiting: Vec<Task> = (1..=250)
            .map(|i| {
                let mut t = task(i, Class::Express, i, 1);
                t.lines[0].state = LineState::Confirmed(2);
                t.closed_ms = Some(i);
                t
            })
            .collect();
        waiting.push(task(999, Class::Standard, 9_999, 1));
        let list = task_list("s1", "h1", 9, &waiting);
        assert_eq!(list.tasks[0].task, 999, "the open task comes first");
        assert_eq!(list.tasks.len(), MAX_LIST_TASKS);
    }
}
