//! What this device has closed that the hub's list may not show yet.
//!
//! Why: the device works offline, so after a pick is journaled the hub's
//! [`TaskList`] still shows the line open (`done` 0) until the movement is
//! synced and a newer list arrives; and a count line shows `done` 0 even
//! when counted. A line is open only when neither side has closed it, so a
//! line is confirmed once whatever the order of journal, sync and new list.
//! It can be rebuilt from the journal with [`Progress::note_draft`].

use crate::draft::MovementDraft;
use protocol::{MovementKind, TaskKind, TaskLine, TaskList, TaskRef};
use std::collections::BTreeMap;

/// Lines closed on this device, with the units recorded on each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    closed: BTreeMap<TaskRef, i64>,
}

impl Progress {
    /// Nothing closed yet.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Notes a line closed with `units` recorded (0: nothing found).
    pub fn close(&mut self, at: TaskRef, units: i64) {
        self.closed.insert(at, units);
    }

    /// Forgets a close whose movement the journal refused.
    pub fn reopen(&mut self, at: TaskRef) {
        self.closed.remove(&at);
    }

    /// The units recorded on a line this device closed.
    pub fn closed(&self, at: TaskRef) -> Option<i64> {
        self.closed.get(&at).copied()
    }

    /// Every line closed here, in task and line order.
    pub fn iter(&self) -> impl Iterator<Item = (TaskRef, i64)> + '_ {
        self.closed.iter().map(|(at, units)| (*at, *units))
    }

    /// Notes a journaled pick or count that names a task line (other
    /// movements and other task texts say nothing about lines).
    pub fn note_draft(&mut self, draft: &MovementDraft) {
        if !matches!(draft.kind, MovementKind::Pick | MovementKind::Count) {
            return;
        }
        if let Some(at) = draft
            .task
            .as_deref()
            .and_then(|t| TaskRef::parse_line(t).ok().map(|(at, _)| at))
        {
            self.close(at, draft.quantity);
        }
    }

    /// Forgets lines no longer in `list` (the hub closed their task), so
    /// the map stays as small as the queue.
    pub fn forget_missing(&mut self, list: &TaskList) {
        self.closed.retain(|at, _| {
            list.tasks
                .iter()
                .any(|t| t.task == at.task && t.lines.iter().any(|l| l.line == at.line))
        });
    }

    /// Whether a line still asks for work: not closed here, and (for a
    /// pick) not closed by the hub, which closes a pick line with one
    /// movement, whole or short, and then shows what was picked as `done`.
    pub fn is_open(&self, kind: TaskKind, at: TaskRef, line: &TaskLine) -> bool {
        self.closed(at).is_none() && (kind == TaskKind::Count || line.done == 0)
    }

    /// Units known picked on a pick line: recorded here, else the hub's
    /// `done`; None while neither knows of a pick.
    pub fn picked(&self, at: TaskRef, line: &TaskLine) -> Option<i64> {
        self.closed(at).or((line.done > 0).then_some(line.done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journaled_picks_and_counts_close_their_lines() {
        let mut p = Progress::new();
        let mut pick = MovementDraft::new(MovementKind::Pick, "TEA", "A-01", 3);
        pick.task = Some("7:2".into());
        let mut blind = pick.clone();
        blind.task = Some("T-9".into());
        let mut pack = pick.clone();
        pack.kind = MovementKind::Pack;
        pack.task = Some("7:3".into());
        for d in [&pick, &blind, &pack] {
            p.note_draft(d);
        }
        let at = TaskRef { task: 7, line: 2 };
        assert_eq!(p.iter().collect::<Vec<_>>(), [(at, 3)]);
        p.reopen(at);
        assert_eq!(p.closed(at), None);
    }
}
