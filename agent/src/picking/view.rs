//! What a session asks the screen to show: plain data, so a session's
//! view is tested without drawing, and [`super::screen`] draws any step
//! the same way.

use super::SyncState;

/// One screen's worth of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenView {
    /// The mode: `PICK`, `COUNT` or `PACK`.
    pub mode: &'static str,
    /// The instruction, e.g. `GO TO A-03-2` or `SCAN ITEM TEA  x3`.
    pub headline: String,
    /// The part of the instruction to draw in large letters (a location,
    /// SKU or order), if any.
    pub big: Option<String>,
    /// Context: which task and line, lot, order, what is scanned so far.
    pub details: Vec<String>,
    /// What to do now, in words (`scan the location label`).
    pub prompt: String,
    /// The answer to the last input: a refusal, a note or a confirmation.
    pub notice: Option<Notice>,
    /// Work done and in all: lines of the queue, or units of the order.
    pub tally: Option<Tally>,
    /// Link and backlog.
    pub sync: SyncState,
    /// The buyer's remarks on the order, where they matter.
    pub remarks: Option<String>,
}

/// A count of work, shown as `lines 3/7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// What is counted (`lines`, `units`).
    pub label: &'static str,
    /// Done.
    pub done: usize,
    /// In all.
    pub total: usize,
}

/// The answer to the last input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// How it is shown.
    pub level: NoticeLevel,
    /// One line.
    pub text: String,
}

/// How a notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    /// Something to know (a lot deviation, a short pick needing a reason).
    Info,
    /// A step confirmed.
    Done,
    /// Refused: nothing was recorded.
    Refused,
}

impl Notice {
    /// A note.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
        }
    }

    /// A confirmation.
    pub fn done(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Done,
            text: text.into(),
        }
    }

    /// A refusal.
    pub fn refused(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Refused,
            text: text.into(),
        }
    }
}

/// A piece of scanned text fit to show on one line: at most 24
/// characters, control and non-ASCII characters escaped.
pub(crate) fn shown(text: &str) -> String {
    protocol::barcode::excerpt(text)
}
