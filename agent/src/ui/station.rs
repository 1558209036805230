//! The session a terminal runs: guided picking or pack checking, built
//! from the device's stored work queue and fed each newer list.
//!
//! Why here and not in `picking`: which lines this device already closed
//! is known only to the queue's local marks and the journal's unsent
//! movements, both on disk; the pure sessions take it as a
//! [`Progress`] value, and this is where it is read back.

use crate::journal::Journal;
use crate::picking::SyncState;
use crate::picking::{Day, Effect, Input, PackSession, PickSession, Progress, ScreenView};
use crate::tasks::TaskQueue;
use protocol::{MovementKind, TaskKind, TaskList, TaskRef};

/// Which station the terminal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiMode {
    /// Guided picking and counting through the queue.
    Pick,
    /// Pack checking of the queue's picked orders.
    Pack,
}

impl UiMode {
    /// The mode named `pick` or `pack`.
    pub fn parse(word: &str) -> Option<UiMode> {
        match word.trim().to_ascii_lowercase().as_str() {
            "pick" => Some(UiMode::Pick),
            "pack" => Some(UiMode::Pack),
            _ => None,
        }
    }
}

/// A pick or a pack session over the device's queue.
#[derive(Debug, Clone)]
pub enum Station {
    /// Guided picking.
    Pick(PickSession),
    /// Pack checking.
    Pack(PackSession),
}

impl Station {
    /// A session of `mode` over the queue held now (an empty one before
    /// the first list), knowing what this device closed.
    pub fn open(mode: UiMode, queue: &TaskQueue, journal: &Journal, now_ms: u64) -> Station {
        let list = queue.current().unwrap_or_else(empty_list);
        let progress = closed_here(queue, journal);
        match mode {
            UiMode::Pick => {
                let today = Day::from_unix_ms(now_ms);
                Station::Pick(PickSession::new(list, progress, today))
            }
            UiMode::Pack => Station::Pack(PackSession::new(list, progress)),
        }
    }

    /// Takes the newer list the publisher stored.
    pub fn replace_list(&mut self, queue: &TaskQueue, journal: &Journal) {
        let Some(list) = queue.current() else {
            return;
        };
        match self {
            Station::Pick(s) => s.replace_list(list),
            Station::Pack(s) => s.replace_list(list, closed_here(queue, journal)),
        }
    }

    /// Takes one input.
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Vec<Effect> {
        match self {
            Station::Pick(s) => s.handle(input, now_ms),
            Station::Pack(s) => s.handle(input, now_ms),
        }
    }

    /// The journal refused the movement of line `at`.
    pub fn journal_refused(&mut self, at: TaskRef, message: &str) -> Vec<Effect> {
        match self {
            Station::Pick(s) => s.journal_refused(at, message),
            // A pack station journals only when the order is whole; a
            // failed write leaves the hub's line open, and the error is logged.
            Station::Pack(_) => Vec::new(),
        }
    }

    /// Sets the link state and backlog shown.
    pub fn set_sync(&mut self, sync: SyncState) {
        match self {
            Station::Pick(s) => s.set_sync(sync),
            Station::Pack(s) => s.set_sync(sync),
        }
    }

    /// Sets the date expiry is judged against.
    pub fn set_today(&mut self, today: Day) {
        if let Station::Pick(s) = self {
            s.set_today(today);
        }
    }

    /// The screen for the current step.
    pub fn view(&self) -> ScreenView {
        match self {
            Station::Pick(s) => s.view(),
            Station::Pack(s) => s.view(),
        }
    }
}

/// The lines this device closed that the hub's list may not show yet:
/// the queue's durable marks, and the journal's unacknowledged picks and
/// counts (a crash between journaling and marking loses neither).
pub fn closed_here(queue: &TaskQueue, journal: &Journal) -> Progress {
    let mut progress = Progress::new();
    for line in queue.state().lines() {
        let marked = match line.kind {
            TaskKind::Pick => line.line.done == 0 && line.done > 0,
            TaskKind::Count => !line.open,
        };
        if marked {
            progress.close(line.reference, line.done);
        }
    }
    let unsent = journal
        .unacked(journal.epoch(), 0, usize::MAX)
        .unwrap_or_default();
    for m in unsent {
        if !matches!(m.kind, MovementKind::Pick | MovementKind::Count) {
            continue;
        }
        if let Some(at) = m
            .task
            .as_deref()
            .and_then(|t| TaskRef::parse_line(t).ok().map(|(at, _)| at))
        {
            progress.close(at, m.quantity);
        }
    }
    progress
}

fn empty_list() -> TaskList {
    TaskList {
        site: String::new(),
        device: String::new(),
        version: 0,
        tasks: Vec::new(),
    }
}
