//! The work queue as plain data: the task list the device holds, and the
//! lines it has scanned since (its local marks). No sled, no clock, so
//! every rule below is unit- and property-tested without a disk.
//!
//! The rules (WIRE.md §3.10 to §3.15):
//! * a list is taken only if its version is greater than the one held (a
//!   resend, a replay or a list overtaken in transit changes nothing);
//! * local marks say how far this device got on a line while the hub has
//!   not reported it yet, so the picker sees progress offline. A newer list
//!   replaces the marks of the lines it reports progress on (their `done`
//!   moved since the list the marks were made against: the hub's figure
//!   now includes the scans, or someone else's) and drops the marks of
//!   lines it no longer holds (done, moved or cancelled). The other marks
//!   stay: the hub has not seen those scans yet;
//! * a pick line is open while `done` (the hub's, plus the local mark) is
//!   below its quantity; a count line (quantity 0: "count what is there")
//!   is open until it is counted here; the hub drops counted lines from
//!   later lists.

use protocol::{TaskKind, TaskLine, TaskList, TaskRef, ValidationError, MAX_QUANTITY};
use std::collections::BTreeMap;
use thiserror::Error;

/// The queue a device holds: a task list (none before the first) and the
/// units scanned on its lines since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueState {
    list: Option<TaskList>,
    marks: BTreeMap<TaskRef, i64>,
}

/// What offering a list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Newer than the queue held: it is the queue now. Acknowledge `version`.
    Taken {
        /// The list's version, now held.
        version: u64,
        /// Local marks the list replaced or made moot.
        marks_dropped: usize,
    },
    /// Not newer (a resend or a stale list): nothing changed. Acknowledge
    /// `held` again, so the hub knows what the device has.
    NotNewer {
        /// The version still held.
        held: u64,
    },
}

impl Offer {
    /// The version to acknowledge: the one held after the offer.
    pub fn held(&self) -> u64 {
        match *self {
            Offer::Taken { version, .. } => version,
            Offer::NotNewer { held } => held,
        }
    }
}

/// Why a scan could not be marked on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MarkError {
    /// The queue has no such line (no list yet, or another task's line).
    #[error("task line {0} is not in this device's work queue")]
    NotInQueue(TaskRef),
    /// A pick of fewer than 1 unit, a negative count, or more than the
    /// protocol allows.
    #[error("quantity {quantity} cannot be marked on a {} line", .kind.as_str())]
    Quantity {
        /// The line's task kind.
        kind: TaskKind,
        /// The quantity given.
        quantity: i64,
    },
}

/// One line and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProgress {
    /// The line's name, as a scan carries it.
    pub reference: TaskRef,
    /// Pick or count.
    pub kind: TaskKind,
    /// The order the line fills (the line's own, else its task's).
    pub order: Option<u64>,
    /// The task's remarks (the buyer's note), to show where they matter.
    pub remarks: Option<String>,
    /// The line as the hub sent it (its `done` is the hub's figure).
    pub line: TaskLine,
    /// Units done: the hub's figure plus the local mark, at most the
    /// quantity (for a count: the counted quantity, once counted).
    pub done: i64,
    /// Whether the line still needs work.
    pub open: bool,
}

/// Lines done and lines in all, for the progress the picker always sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Lines no longer open.
    pub lines_done: usize,
    /// Lines in the queue.
    pub lines_total: usize,
}

impl QueueState {
    /// A queue from stored parts; `Err` names what does not fit together
    /// (a mark for a line the list does not have, a negative mark).
    pub fn from_parts(
        list: Option<TaskList>,
        marks: BTreeMap<TaskRef, i64>,
    ) -> Result<QueueState, String> {
        let state = QueueState { list, marks };
        for (&at, &units) in &state.marks {
            if state.find(at).is_none() {
                return Err(format!(
                    "a mark for line {at}, which the list does not have"
                ));
            }
            if units < 0 {
                return Err(format!("a negative mark ({units}) for line {at}"));
            }
        }
        Ok(state)
    }

    /// The list held, if any.
    pub fn list(&self) -> Option<&TaskList> {
        self.list.as_ref()
    }

    /// The local marks: units scanned on each line since the hub last
    /// reported it.
    pub fn marks(&self) -> &BTreeMap<TaskRef, i64> {
        &self.marks
    }

    /// The version held (0 before the first list).
    pub fn version(&self) -> u64 {
        self.list.as_ref().map_or(0, |l| l.version)
    }

    /// Offers an authentic list. A list that breaks the rules of WIRE.md §4
    /// is refused whole and changes nothing.
    pub fn offer(&mut self, list: TaskList) -> Result<Offer, ValidationError> {
        list.validate()?;
        let held = self.version();
        if list.version <= held {
            return Ok(Offer::NotNewer { held });
        }
        let before = self.marks.len();
        let old = self.list.take();
        self.marks.retain(|&at, _| {
            let reported = |l: &TaskList| find_in(l, at).map(|(_, line)| line.done);
            let was = old.as_ref().and_then(reported);
            let now = reported(&list);
            now.is_some() && now == was
        });
        let version = list.version;
        self.list = Some(list);
        Ok(Offer::Taken {
            version,
            marks_dropped: before - self.marks.len(),
        })
    }

    /// Records that this device scanned `quantity` on line `at`: added up
    /// for a pick, the counted quantity for a count. Call it for the scan
    /// that fulfils the line (a pick or a count), once it is journaled.
    pub fn mark_done(&mut self, at: TaskRef, quantity: i64) -> Result<LineProgress, MarkError> {
        let kind = self.find(at).ok_or(MarkError::NotInQueue(at))?.0;
        let least = match kind {
            TaskKind::Pick => 1,
            TaskKind::Count => 0,
        };
        if !(least..=MAX_QUANTITY).contains(&quantity) {
            return Err(MarkError::Quantity { kind, quantity });
        }
        let mark = self.marks.entry(at).or_insert(0);
        *mark = match kind {
            TaskKind::Pick => mark.saturating_add(quantity),
            TaskKind::Count => quantity,
        };
        self.line(at).ok_or(MarkError::NotInQueue(at))
    }

    /// Line `at` and how far it got.
    pub fn line(&self, at: TaskRef) -> Option<LineProgress> {
        let list = self.list.as_ref()?;
        let task = list.tasks.iter().find(|t| t.task == at.task)?;
        let line = task.lines.iter().find(|l| l.line == at.line)?;
        Some(self.progress_of(task, line))
    }

    /// Every line in the list's order (tasks in order, lines in walking
    /// order), with its progress.
    pub fn lines(&self) -> Vec<LineProgress> {
        let Some(list) = &self.list else {
            return Vec::new();
        };
        let lines = list.tasks.iter().flat_map(|task| {
            let of = move |line| self.progress_of(task, line);
            task.lines.iter().map(of)
        });
        lines.collect()
    }

    /// The first line that still needs work, in the list's order.
    pub fn next_open_line(&self) -> Option<LineProgress> {
        self.lines().into_iter().find(|l| l.open)
    }

    /// Lines done and lines in all.
    pub fn progress(&self) -> Progress {
        let lines = self.lines();
        Progress {
            lines_done: lines.iter().filter(|l| !l.open).count(),
            lines_total: lines.len(),
        }
    }

    fn find(&self, at: TaskRef) -> Option<(TaskKind, &TaskLine)> {
        find_in(self.list.as_ref()?, at)
    }

    fn progress_of(&self, task: &protocol::TaskEntry, line: &TaskLine) -> LineProgress {
        let reference = TaskRef {
            task: task.task,
            line: line.line,
        };
        let mark = self.marks.get(&reference).copied();
        let (done, open) = match task.kind {
            TaskKind::Pick => {
                let done = line
                    .done
                    .saturating_add(mark.unwrap_or(0))
                    .min(line.quantity);
                (done, done < line.quantity)
            }
            TaskKind::Count => (mark.unwrap_or(line.done), mark.is_none()),
        };
        LineProgress {
            reference,
            kind: task.kind,
            order: line.order.or(task.order),
            remarks: task.remarks.clone(),
            line: line.clone(),
            done,
            open,
        }
    }
}

/// The kind and line `at` names in `list`.
fn find_in(list: &TaskList, at: TaskRef) -> Option<(TaskKind, &TaskLine)> {
    let task = list.tasks.iter().find(|t| t.task == at.task)?;
    let line = task.lines.iter().find(|l| l.line == at.line)?;
    Some((task.kind, line))
}
