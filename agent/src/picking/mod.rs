//! Guided picking, counting and pack checking on the handheld (issue 15,
//! items 4 and 5): what the picker is asked to do next, which scans are
//! refused, and which movements a confirmed step journals.
//!
//! Why pure: as with `publisher::SendState`, the decisions (is this the
//! right location, the right item, an expired lot, an over-pick?) are a
//! state machine that takes an [`Input`] and gives back [`Effect`]s, with
//! time and the date passed in as values. The loop around it journals each
//! [`Effect::Record`], plays the beeps and draws [`screen`]; none of that is
//! here, so every step and refusal is tested without a terminal or a disk.
//!
//! Map: [`PickSession`] walks a [`protocol::TaskList`] (pick and count
//! tasks); [`PackSession`] checks an order's items at a packing station;
//! both describe themselves as a [`ScreenView`], which [`screen`] draws on
//! an 80x25 terminal. [`Progress`] is what this device has closed that the
//! hub's list may not show yet; [`item`] reads a scan as goods (plain SKU,
//! EAN/UPC or GS1 with lot and expiry); [`Day`] is the calendar date that
//! expiry is judged against.
//!
//! Wire facts this leans on (hub_core::tasks): the hub closes a pick line
//! with ONE movement, of the whole quantity or fewer (a short pick), so a
//! line is confirmed once, never in parts; a pack line takes at most what
//! was picked on it.

mod bigtext;
mod day;
pub mod item;
pub mod pack;
mod progress;
pub mod screen;
pub mod session;
mod session_view;
mod view;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod pack_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod session_tests;

pub use day::Day;
pub use pack::PackSession;
pub use progress::Progress;
pub use session::PickSession;
pub use session::Step;
pub use view::{Notice, NoticeLevel, ScreenView, Tally};

use crate::draft::MovementDraft;
pub use crate::scanner::Beep;

/// One thing the picker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A line entered at the terminal: a keyboard-wedge scanner's read or
    /// something typed, told apart by the step (a number where a quantity
    /// or reason is asked, a barcode elsewhere). An empty line is Enter.
    Line(String),
    /// A read from the serial scanner engine: always a barcode, never a
    /// quantity, so a stray read at the quantity step confirms nothing.
    Scan(String),
    /// Esc: back one step (nothing recorded is undone).
    Cancel,
}

/// What the loop around a session must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Sound a beep. A step that records has no good beep of its own: it
    /// is the caller's, after the journal flushed (promise 1).
    Beep(Beep),
    /// Journal this movement (it already passed `MovementDraft::validate`).
    Record(Record),
    /// Every unit of the order is in the parcel; its pack movements are
    /// the `Record`s just before this.
    OrderPacked(u64),
}

/// A movement to journal, with the short-pick reason when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The movement, its `task` naming `"{task}:{line}"`.
    pub draft: MovementDraft,
    /// Why fewer units than asked were picked. The wire has no field for
    /// it (the hub writes its own note on a short pick), so it is for the
    /// device's log and screen.
    pub short: Option<ShortReason>,
}

/// Why a pick is short: the fixed list the picker chooses from by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShortReason {
    /// 1: not on the shelf.
    NotFound,
    /// 2: there, but damaged.
    Damaged,
    /// 3: anything else.
    Other,
}

impl ShortReason {
    /// Every reason, in the order of its key (1, 2, 3).
    pub const ALL: [ShortReason; 3] = [
        ShortReason::NotFound,
        ShortReason::Damaged,
        ShortReason::Other,
    ];

    /// The reason for a typed key `"1"`..`"3"`.
    pub fn from_key(key: &str) -> Option<ShortReason> {
        match key.trim() {
            "1" => Some(ShortReason::NotFound),
            "2" => Some(ShortReason::Damaged),
            "3" => Some(ShortReason::Other),
            _ => None,
        }
    }

    /// The words shown and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            ShortReason::NotFound => "not found",
            ShortReason::Damaged => "damaged",
            ShortReason::Other => "other",
        }
    }

    /// The word a task reference carries (`protocol::task_ref::SHORT_REASONS`).
    pub fn wire(self) -> &'static str {
        match self {
            ShortReason::NotFound => "not_found",
            ShortReason::Damaged => "damaged",
            ShortReason::Other => "other",
        }
    }
}

/// Whether the device reaches the hub, and how much it has not yet had
/// acknowledged: given from outside (the publisher's link state and the
/// journal's length), only shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncState {
    /// Connected to the broker.
    pub online: bool,
    /// Movements journaled and not yet acknowledged.
    pub backlog: u64,
}
