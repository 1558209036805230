//! Guided picking and counting: the state machine that walks a picker
//! through the open lines of a [`TaskList`], in the list's order.
//!
//! Each line: go to its location and scan the location label; scan the
//! item (a plain SKU label, EAN/UPC or GS1; a GS1 lot and expiry are read
//! against the line's suggested lot); confirm the quantity (typed; Enter
//! takes the line's open quantity). A short pick asks for a reason first.
//! A count line asks for the units counted instead. Wrong location, wrong
//! item, an expired lot and an over-pick are refused with an error beep,
//! and nothing is recorded; a confirmed line is one [`Effect::Record`],
//! because the hub closes a pick line with exactly one movement.

use super::item::{choose_lot, read, Goods, LotChoice, ReadAs};
use super::view::{shown, Notice};
use super::{Beep, Day, Effect, Input, Progress, Record, ShortReason, SyncState};
use crate::draft::MovementDraft;
use protocol::{MovementKind, TaskEntry, TaskKind, TaskLine, TaskList, TaskRef};

/// Where the picker is in the current line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No open line: waiting for work.
    Idle,
    /// Go to the line's location and scan its label.
    GoTo(TaskRef),
    /// At the location: scan the item.
    ScanItem(TaskRef),
    /// The item is scanned: type the units picked (or counted).
    Quantity {
        /// The line.
        at: TaskRef,
        /// The lot the movement will name.
        lot: LotChoice,
    },
    /// Fewer units than asked: choose why.
    Reason {
        /// The line.
        at: TaskRef,
        /// The lot the movement will name.
        lot: LotChoice,
        /// The units picked.
        units: i64,
    },
}

/// Guided picking and counting over one device's queue.
#[derive(Debug, Clone)]
pub struct PickSession {
    pub(super) list: TaskList,
    pub(super) progress: Progress,
    pub(super) today: Day,
    pub(super) sync: SyncState,
    pub(super) step: Step,
    pub(super) notice: Option<Notice>,
}

/// Longest number accepted as a typed quantity (the hub asks at most
/// 1 000 000 units of a line; a count may find more).
const MAX_QTY_DIGITS: usize = 9;

impl PickSession {
    /// A session over `list`, with the lines this device already closed,
    /// judging expiry against `today`; it starts at the first open line.
    pub fn new(list: TaskList, progress: Progress, today: Day) -> PickSession {
        let mut session = PickSession {
            list,
            progress,
            today,
            sync: SyncState::default(),
            step: Step::Idle,
            notice: None,
        };
        session.advance();
        session
    }

    /// The current step.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The lines this device closed (to keep across restarts, or to build
    /// again from the journal).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Sets the link state and backlog shown.
    pub fn set_sync(&mut self, sync: SyncState) {
        self.sync = sync;
    }

    /// Sets the date expiry is judged against (at midnight, say).
    pub fn set_today(&mut self, today: Day) {
        self.today = today;
    }

    /// Takes a newer queue from the hub. The current line goes on if it is
    /// still open in it; otherwise the walk moves to the first open line.
    pub fn replace_list(&mut self, list: TaskList) {
        self.list = list;
        let still_open = self.current().is_some_and(|at| self.is_open(at));
        if !still_open {
            let was = self.current();
            self.advance();
            if was.is_some() && self.current() != was {
                self.notice = Some(Notice::info(
                    "the queue changed: this line is no longer yours",
                ));
            }
        }
    }

    /// The journal refused the movement of `at` (a write failed): the line
    /// is open again and the walk goes back to it.
    pub fn journal_refused(&mut self, at: TaskRef, message: &str) -> Vec<Effect> {
        self.progress.reopen(at);
        self.advance();
        self.refuse(format!(
            "not recorded: {}",
            message.replace(['\n', '\r'], " ")
        ))
    }

    /// Takes one input at wall-clock `now_ms` (the movement's device time).
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Vec<Effect> {
        let (text, typed) = match input {
            Input::Cancel => return self.back(),
            Input::Line(text) => (text, true),
            Input::Scan(text) => (text, false),
        };
        let text = text.trim();
        if text.is_empty() && !matches!(self.step, Step::Quantity { .. }) {
            return Vec::new();
        }
        match self.step.clone() {
            Step::Idle => self.refuse("no open line: wait for the next task list"),
            Step::GoTo(at) => self.on_location(at, text),
            Step::ScanItem(at) => self.on_item(at, text),
            Step::Quantity { at, lot } if typed => self.on_quantity(at, lot, text, now_ms),
            Step::Reason { at, lot, units } if typed => {
                self.on_reason(at, lot, units, now_ms, text)
            }
            Step::Quantity { .. } | Step::Reason { .. } => {
                self.refuse("a scan is not a quantity: type it on the keypad")
            }
        }
    }

    fn on_location(&mut self, at: TaskRef, text: &str) -> Vec<Effect> {
        let Some((_, line)) = self.line(at) else {
            return self.lost();
        };
        let location = line.location.clone();
        match read(text) {
            ReadAs::Location(l) if l == location => self.accept(Step::ScanItem(at), None),
            ReadAs::Goods(g) if g.raw == location => self.accept(Step::ScanItem(at), None),
            ReadAs::Location(l) => self.refuse(format!("wrong location {l}: go to {location}")),
            ReadAs::Goods(_) => self.refuse(format!("scan the location label of {location} first")),
            ReadAs::Refused(why) => self.refuse(why),
        }
    }

    fn on_item(&mut self, at: TaskRef, text: &str) -> Vec<Effect> {
        let Some((task, line)) = self.line(at) else {
            return self.lost();
        };
        let (kind, sku, location) = (task.kind, line.sku.clone(), line.location.clone());
        let suggested = line.lot.clone();
        let goods = match read(text) {
            ReadAs::Goods(goods) => goods,
            ReadAs::Location(l) if l == location => {
                self.notice = Some(Notice::info(format!("at {location}: now scan {sku}")));
                return Vec::new();
            }
            ReadAs::Location(l) => {
                return self.refuse(format!("wrong location {l}: this line is at {location}"))
            }
            ReadAs::Refused(why) => return self.refuse(why),
        };
        if !goods.is(&sku) {
            return self.refuse(format!("wrong item {}: scan {sku}", name_of(&goods)));
        }
        let lot = choose_lot(&goods, suggested.as_deref());
        if let Some(day) = lot
            .expiry
            .filter(|d| *d < self.today && kind == TaskKind::Pick)
        {
            let lot_name = lot.lot.as_deref().unwrap_or("");
            return self.refuse(format!(
                "lot {lot_name} expired on {}: do not pick it",
                day.iso()
            ));
        }
        let note = lot.deviation.clone().map(Notice::info);
        self.accept(Step::Quantity { at, lot }, note)
    }

    fn on_quantity(&mut self, at: TaskRef, lot: LotChoice, text: &str, now: u64) -> Vec<Effect> {
        let Some((task, line)) = self.line(at) else {
            return self.lost();
        };
        let (kind, open) = (task.kind, line.quantity - line.done);
        let units = match (text.is_empty(), kind) {
            (true, TaskKind::Pick) => open,
            (true, TaskKind::Count) => return self.refuse("type the units counted, then Enter"),
            (false, _) => match parse_units(text) {
                Some(units) => units,
                None => return self.refuse(format!("{} is not a number of units", shown(text))),
            },
        };
        match kind {
            TaskKind::Count => self.record(at, MovementKind::Count, (units, lot, None), now),
            TaskKind::Pick if units > open => {
                self.refuse(format!("over-pick: the line asks {open}, not {units}"))
            }
            TaskKind::Pick if units == open => {
                self.record(at, MovementKind::Pick, (units, lot, None), now)
            }
            TaskKind::Pick => {
                self.step = Step::Reason { at, lot, units };
                let text = format!("short pick: {units} of {open}; choose a reason");
                self.notice = Some(Notice::info(text));
                Vec::new()
            }
        }
    }

    fn on_reason(
        &mut self,
        at: TaskRef,
        lot: LotChoice,
        units: i64,
        now: u64,
        text: &str,
    ) -> Vec<Effect> {
        let Some(reason) = ShortReason::from_key(text) else {
            return self.refuse("type 1, 2 or 3 for the reason");
        };
        if units > 0 {
            return self.record(at, MovementKind::Pick, (units, lot, Some(reason)), now);
        }
        // Nothing there: a count of 0 at the location, naming the line,
        // so the hub hears the shortfall (a pick of 0 is no movement) and
        // the stock says what the shelf holds.
        self.record(at, MovementKind::Count, (0, lot, Some(reason)), now)
    }

    /// Journals a confirmed line: (units, lot, short reason).
    fn record(
        &mut self,
        at: TaskRef,
        kind: MovementKind,
        (units, lot, short): (i64, LotChoice, Option<ShortReason>),
        now: u64,
    ) -> Vec<Effect> {
        let Some((_, line)) = self.line(at) else {
            return self.lost();
        };
        let mut draft = MovementDraft::new(kind, &line.sku, &line.location, units);
        draft.lot = lot.lot;
        draft.device_time_ms = now;
        // A short pick names its reason with the line, so the hub records
        // why (WIRE.md §3.15).
        draft.task = Some(match short {
            Some(reason) => at.with_reason(reason.wire()),
            None => at.to_string(),
        });
        if let Err(e) = draft.validate() {
            return self.refuse(e.to_string());
        }
        let verb = if kind == MovementKind::Count {
            "counted"
        } else {
            "picked"
        };
        let text = format!("{verb} {units} {} at {}", draft.sku, draft.location);
        self.progress.close(at, units);
        self.advance();
        self.notice = Some(Notice::done(text));
        vec![Effect::Record(Record { draft, short })]
    }

    fn back(&mut self) -> Vec<Effect> {
        self.step = match self.step.clone() {
            Step::Reason { at, lot, .. } => Step::Quantity { at, lot },
            Step::Quantity { at, .. } => Step::ScanItem(at),
            Step::ScanItem(at) => Step::GoTo(at),
            step @ (Step::GoTo(_) | Step::Idle) => step,
        };
        self.notice = None;
        Vec::new()
    }

    fn accept(&mut self, step: Step, notice: Option<Notice>) -> Vec<Effect> {
        self.step = step;
        self.notice = notice;
        vec![Effect::Beep(Beep::Good)]
    }

    fn refuse(&mut self, text: impl Into<String>) -> Vec<Effect> {
        self.notice = Some(Notice::refused(text));
        vec![Effect::Beep(Beep::Error)]
    }

    /// The current line vanished from the list (cannot happen through
    /// `replace_list`, which moves on first): start over at the first.
    fn lost(&mut self) -> Vec<Effect> {
        self.advance();
        self.refuse("this line is no longer in the queue")
    }

    /// Moves to the first open line in the list's order.
    pub(super) fn advance(&mut self) {
        self.step = self.first_open().map_or(Step::Idle, Step::GoTo);
    }

    fn first_open(&self) -> Option<TaskRef> {
        self.lines()
            .find(|(task, line)| self.progress.is_open(task.kind, at_of(task, line), line))
            .map(|(task, line)| at_of(task, line))
    }

    pub(super) fn is_open(&self, at: TaskRef) -> bool {
        self.line(at)
            .is_some_and(|(task, line)| self.progress.is_open(task.kind, at, line))
    }

    /// Every line of the list, in the order to work them.
    pub(super) fn lines(&self) -> impl Iterator<Item = (&TaskEntry, &TaskLine)> {
        self.list
            .tasks
            .iter()
            .flat_map(|task| task.lines.iter().map(move |line| (task, line)))
    }

    pub(super) fn line(&self, at: TaskRef) -> Option<(&TaskEntry, &TaskLine)> {
        self.lines()
            .find(|(task, line)| task.task == at.task && line.line == at.line)
    }

    pub(super) fn current(&self) -> Option<TaskRef> {
        match &self.step {
            Step::Idle => None,
            Step::GoTo(at) | Step::ScanItem(at) => Some(*at),
            Step::Quantity { at, .. } | Step::Reason { at, .. } => Some(*at),
        }
    }
}

pub(super) fn at_of(task: &TaskEntry, line: &TaskLine) -> TaskRef {
    TaskRef {
        task: task.task,
        line: line.line,
    }
}

/// A typed number of units: digits only, at most [`MAX_QTY_DIGITS`].
pub(super) fn parse_units(text: &str) -> Option<i64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    (digits && text.len() <= MAX_QTY_DIGITS)
        .then(|| text.parse().ok())
        .flatten()
}

/// How refused goods are named: by GTIN when the read had one.
pub(super) fn name_of(goods: &Goods) -> String {
    shown(goods.gtin.as_deref().unwrap_or(&goods.raw))
}
