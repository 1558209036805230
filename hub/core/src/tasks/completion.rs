//! Closing lines, exactly once. A line is closed by one scan, named by
//! the device's stream and sequence number ([`ScanKey`]); a scan applied
//! before, or any scan of a line already closed, changes nothing and says
//! so ([`Completed::duplicate`]), which is what makes a resent batch
//! harmless. A scan of a line that was moved to another device lands on
//! the live copy, so a late scan from the old device closes the line
//! instead of leaving it to be picked twice.
//!
//! A line closes on the whole quantity or on a short pick with a reason;
//! fewer units without one, or more units than asked, is refused. A short
//! pick asks the hub for a discrepancy and carries the configured
//! decision. An order becomes picked when every unit of every one of its
//! lines, across all the lists that carry it, is confirmed.

use super::book::TaskBook;
use super::model::{LineState, PickState, ScanKey, TaskKind, TaskLine};
use super::outcome::{Effect, ShortPick, TaskError};
use super::rules::ShortDecision;

/// A scan's report that a line is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDone {
    /// The scan.
    pub scan: ScanKey,
    /// The task it names.
    pub task: u64,
    /// The line it names.
    pub line: u32,
    /// What was done.
    pub report: Report,
}

/// What the picker or counter reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// All units picked (the line's quantity), or the units counted.
    Confirmed(i64),
    /// Fewer units picked than asked, and why.
    Short(i64, String),
}

/// What applying a report did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completed {
    /// True when the scan or the line was seen before: nothing changed.
    pub duplicate: bool,
    /// Effects to carry out after the commit.
    pub effects: Vec<Effect>,
}

impl TaskBook {
    /// Applies a line-done report (see the module doc).
    pub fn line_done(&mut self, done: &LineDone, now: u64) -> Result<Completed, TaskError> {
        let seen = Completed {
            duplicate: true,
            effects: Vec::new(),
        };
        if self.by_scan.contains_key(&done.scan) {
            return Ok(seen);
        }
        let (task_id, index) = self.live_line(done.task, done.line)?;
        let task = self
            .tasks
            .get(&task_id)
            .ok_or(TaskError::UnknownTask(task_id))?;
        let line = &task.lines[index];
        if !line.state.is_open() {
            return Ok(seen);
        }
        let state = checked(task.kind, line, &done.report, task_id)?;
        let short = short_pick(line, task_id, &state, &done.scan, self.rules.on_short);
        let order = line.order;
        let mut effects = Vec::new();
        if self.close_line(task_id, index, state, &done.scan, now) {
            effects.push(Effect::TaskDone { task: task_id });
        }
        if let Some(short) = short {
            effects.push(self.decide_short(short));
        }
        if let Some(order) = order.filter(|o| self.order_complete(*o)) {
            if let Some(progress) = self.orders.get_mut(&order) {
                progress.state = PickState::Picked;
                self.touch_order(order);
                effects.push(Effect::OrderPicked { order });
            }
        }
        effects.extend(self.publish());
        Ok(Completed {
            duplicate: false,
            effects,
        })
    }

    /// Closes a line in `state` by `scan`; true when it was the task's
    /// last open line.
    fn close_line(
        &mut self,
        task_id: u64,
        index: usize,
        state: LineState,
        scan: &ScanKey,
        now: u64,
    ) -> bool {
        let Some(task) = self.tasks.get_mut(&task_id) else {
            return false;
        };
        let Some(line) = task.lines.get_mut(index) else {
            return false;
        };
        line.state = state;
        line.done_by = Some(scan.clone());
        self.by_scan.insert(scan.clone(), (task_id, line.line));
        let task_done = task.open_lines() == 0;
        if task_done {
            task.closed_ms = Some(now);
        }
        self.touch_task(task_id);
        task_done
    }

    /// The task and index of the live copy of `(task, line)`.
    pub(super) fn live_line(&self, task: u64, line: u32) -> Result<(u64, usize), TaskError> {
        let (mut task, mut line) = (task, line);
        // Each move makes a newer task, so a chain is at most as long as
        // the book; the bound only guards against a corrupt store.
        for _ in 0..=self.tasks.len() {
            let t = self.tasks.get(&task).ok_or(TaskError::UnknownTask(task))?;
            let index = t
                .lines
                .iter()
                .position(|l| l.line == line)
                .ok_or(TaskError::UnknownLine { task, line })?;
            match t.lines[index].state {
                LineState::Moved { task: to, line: at } => (task, line) = (to, at),
                _ => return Ok((task, index)),
            }
        }
        Err(TaskError::UnknownLine { task, line })
    }

    /// The effect of a short pick under the rules; a backorder stops the
    /// order's picking.
    fn decide_short(&mut self, short: ShortPick) -> Effect {
        if short.decision == ShortDecision::Backorder {
            if let Some(progress) = self.orders.get_mut(&short.order) {
                progress.state = PickState::Backordered;
                self.touch_order(short.order);
            }
        }
        Effect::ShortPick(short)
    }

    /// Whether every unit of a picking order is confirmed and no line of
    /// it is open.
    fn order_complete(&self, order: u64) -> bool {
        let Some(progress) = self.orders.get(&order) else {
            return false;
        };
        if progress.state != PickState::Picking {
            return false;
        }
        let mut picked = vec![0i64; progress.lines.len()];
        for task in progress.tasks.iter().filter_map(|id| self.tasks.get(id)) {
            for line in task.lines.iter().filter(|l| l.order == Some(order)) {
                if line.state.is_open() {
                    return false;
                }
                if let Some(p) = picked.get_mut(line.order_line as usize) {
                    *p += line.state.picked();
                }
            }
        }
        progress
            .lines
            .iter()
            .zip(picked)
            .all(|(line, picked)| picked == line.quantity)
    }
}

/// The state a report closes a line in, or why it is refused.
fn checked(
    kind: TaskKind,
    line: &TaskLine,
    report: &Report,
    task: u64,
) -> Result<LineState, TaskError> {
    let at = line.line;
    let bad = |problem| TaskError::BadReport {
        task,
        line: at,
        problem,
    };
    let over = |reported| TaskError::OverPick {
        task,
        line: at,
        planned: line.quantity,
        reported,
    };
    let silent = TaskError::SilentShort { task, line: at };
    match (kind, report) {
        (_, Report::Confirmed(q) | Report::Short(q, _)) if *q < 0 => Err(bad("negative quantity")),
        (TaskKind::Count { .. }, Report::Confirmed(q)) => Ok(LineState::Confirmed(*q)),
        (TaskKind::Count { .. }, Report::Short(..)) => Err(bad("a count cannot be short")),
        (TaskKind::Pick, Report::Confirmed(q) | Report::Short(q, _)) if *q > line.quantity => {
            Err(over(*q))
        }
        (TaskKind::Pick, Report::Confirmed(q)) if *q < line.quantity => Err(silent),
        (TaskKind::Pick, Report::Confirmed(q)) => Ok(LineState::Confirmed(*q)),
        (TaskKind::Pick, Report::Short(q, _)) if *q == line.quantity => {
            Ok(LineState::Confirmed(*q))
        }
        (TaskKind::Pick, Report::Short(_, reason)) if reason.trim().is_empty() => Err(silent),
        (TaskKind::Pick, Report::Short(q, reason)) => Ok(LineState::Short(*q, reason.clone())),
    }
}

/// The short pick a closing state reports, if it is short.
fn short_pick(
    line: &TaskLine,
    task: u64,
    state: &LineState,
    scan: &ScanKey,
    decision: ShortDecision,
) -> Option<ShortPick> {
    let LineState::Short(picked, reason) = state else {
        return None;
    };
    Some(ShortPick {
        task,
        line: line.line,
        order: line.order.unwrap_or(0),
        sku: line.sku.clone(),
        location: line.location.code().to_string(),
        lot: line.lot.clone(),
        expected: line.quantity,
        picked: *picked,
        reason: reason.clone(),
        scan: scan.clone(),
        decision,
    })
}
