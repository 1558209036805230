//! The fake printer's state, pure: what it does with a received format
//! and what it answers to `~HS`, with no socket in sight.
//!
//! In `paper-out`, `ribbon-out`, `head-open` and `paused` a received
//! format is held in the buffer, as a real Zebra holds it: `~HS` counts it
//! (formats in receive buffer), it prints once the state is `ok` again,
//! and `~JA` (cancel all) throws it away, counted. That is the case a
//! station must handle (a job it gave up on must not come out later,
//! after the hub moved it elsewhere). `--head-open-on N` opens the head
//! as the Nth format arrives, so that format is held mid-job. `silent`
//! answers nothing and prints nothing, like a printer that has hung.
//!
//! The `~HS` answer is written here from the ZPL II guide's format on its
//! own, not with the agent's parser, so the two check each other in tests.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// What the fake printer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrinterState {
    /// Ready: prints what it gets.
    #[default]
    Ok,
    /// Out of labels.
    PaperOut,
    /// Out of ribbon.
    RibbonOut,
    /// Print head open.
    HeadOpen,
    /// Paused.
    Paused,
    /// Hung: takes connections, answers nothing, prints nothing.
    Silent,
}

impl PrinterState {
    /// The control word of the state (as read on the binary's stdin).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::PaperOut => "paper-out",
            Self::RibbonOut => "ribbon-out",
            Self::HeadOpen => "head-open",
            Self::Paused => "pause",
            Self::Silent => "silent",
        }
    }
}

impl fmt::Display for PrinterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A control word that names no state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown printer state {0:?} (ok, paper-out, ribbon-out, head-open, pause, silent)")]
pub struct UnknownState(pub String);

impl FromStr for PrinterState {
    type Err = UnknownState;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        match word.trim() {
            "ok" => Ok(Self::Ok),
            "paper-out" => Ok(Self::PaperOut),
            "ribbon-out" => Ok(Self::RibbonOut),
            "head-open" => Ok(Self::HeadOpen),
            "pause" | "paused" => Ok(Self::Paused),
            "silent" => Ok(Self::Silent),
            other => Err(UnknownState(other.to_string())),
        }
    }
}

/// A label the fake printer printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedLabel {
    /// 1 for the first label printed since start.
    pub n: u64,
    /// The format, `^XA` to `^XZ`.
    pub zpl: Vec<u8>,
    /// When, in milliseconds since the Unix epoch.
    pub ms: u64,
}

/// What became of a received format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatFate {
    /// Printed: this label.
    Printed(PrintedLabel),
    /// Held in the buffer because of this state.
    Held(PrinterState),
    /// Not even received: the printer is silent.
    Ignored,
}

/// The fake printer's state machine.
#[derive(Debug, Default)]
pub struct PrinterModel {
    state: PrinterState,
    printed: Vec<PrintedLabel>,
    held: Vec<Vec<u8>>,
    discarded: u64,
    received: u64,
    paper_out_after: Option<u64>,
    head_open_on: Option<u64>,
}

impl PrinterModel {
    /// A ready printer that runs out of paper once it has printed
    /// `paper_out_after` labels (if given; once only, so `ok` after it is
    /// a reloaded roll).
    pub fn new(paper_out_after: Option<u64>) -> Self {
        Self {
            paper_out_after,
            ..Self::default()
        }
    }

    /// The current state.
    pub fn state(&self) -> PrinterState {
        self.state
    }

    /// Opens the head as the `n`th format arrives (once), holding it.
    pub fn with_head_open_on(mut self, n: Option<u64>) -> Self {
        self.head_open_on = n;
        self
    }

    /// Switches state (the operator, or the test); back to `ok`, the held
    /// formats print, in order: returned.
    pub fn set_state(&mut self, state: PrinterState, ms: u64) -> Vec<PrintedLabel> {
        self.state = state;
        if state != PrinterState::Ok {
            return Vec::new();
        }
        let held = std::mem::take(&mut self.held);
        held.into_iter().map(|zpl| self.print(zpl, ms)).collect()
    }

    /// `~JA`: throws away every held format; how many.
    pub fn cancel_all(&mut self) -> usize {
        let n = self.held.len();
        self.held.clear();
        self.discarded += n as u64;
        n
    }

    fn print(&mut self, zpl: Vec<u8>, ms: u64) -> PrintedLabel {
        let n = self.printed.len() as u64 + 1;
        let label = PrintedLabel { n, zpl, ms };
        self.printed.push(label.clone());
        if self.paper_out_after == Some(n) {
            self.paper_out_after = None;
            self.state = PrinterState::PaperOut;
        }
        label
    }

    /// The labels printed so far, in order.
    pub fn printed(&self) -> &[PrintedLabel] {
        &self.printed
    }

    /// Held formats thrown away by `~JA`.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// Formats held in the buffer now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Acts on a whole format received at `ms`.
    pub fn receive_format(&mut self, zpl: Vec<u8>, ms: u64) -> FormatFate {
        if self.state == PrinterState::Silent {
            return FormatFate::Ignored;
        }
        self.received += 1;
        if self.head_open_on == Some(self.received) {
            self.head_open_on = None;
            self.state = PrinterState::HeadOpen;
        }
        if self.state != PrinterState::Ok {
            self.held.push(zpl);
            return FormatFate::Held(self.state);
        }
        FormatFate::Printed(self.print(zpl, ms))
    }

    /// The answer to `~HS` in the current state; `None` when silent.
    pub fn host_status(&self) -> Option<Vec<u8>> {
        let flag = |state| u8::from(self.state == state);
        let (paper, pause) = (flag(PrinterState::PaperOut), flag(PrinterState::Paused));
        let (head, ribbon) = (flag(PrinterState::HeadOpen), flag(PrinterState::RibbonOut));
        if self.state == PrinterState::Silent {
            return None;
        }
        // 030 = 9600 8N1 settings; label 1218 dots; the formats held;
        // thermal transfer, tear-off, no batch.
        let held = self.held.len().min(999);
        let answer = format!(
            "\x02030,{paper},{pause},1218,{held:03},0,0,0,000,0,0,0\x03\r\n\
             \x02000,0,{head},{ribbon},1,2,6,0,00000000,1,000\x03\r\n\
             \x021234,0\x03\r\n"
        );
        Some(answer.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::{FormatFate, PrinterModel, PrinterState};

    const F: &[u8] = b"^XA^XZ";

    #[test]
    fn problems_hold_formats_until_ok_or_cancel_all() {
        let mut model = PrinterModel::new(None);
        assert!(matches!(model.receive_format(F.to_vec(), 1), FormatFate::Printed(l) if l.n == 1));
        for state in [
            PrinterState::PaperOut,
            PrinterState::HeadOpen,
            PrinterState::Paused,
        ] {
            model.set_state(state, 0);
            assert_eq!(model.receive_format(F.to_vec(), 2), FormatFate::Held(state));
        }
        let status = String::from_utf8(model.host_status().unwrap_or_default()).unwrap_or_default();
        assert!(status.starts_with("\x02030,0,1,1218,003,"), "{status}");
        // Cancel all: nothing of them prints, even once the problem clears.
        assert_eq!(model.cancel_all(), 3);
        assert!(model.set_state(PrinterState::Ok, 3).is_empty());
        assert_eq!(
            (model.printed().len(), model.discarded(), model.held()),
            (1, 3, 0)
        );
        // Held and then cleared without a cancel: it prints late.
        model.set_state(PrinterState::PaperOut, 4);
        model.receive_format(F.to_vec(), 4);
        assert_eq!(model.set_state(PrinterState::Ok, 5).len(), 1);
        model.set_state(PrinterState::Silent, 6);
        assert_eq!(model.receive_format(F.to_vec(), 6), FormatFate::Ignored);
        assert_eq!(model.host_status(), None);
    }

    #[test]
    fn paper_runs_out_after_n_labels_once_and_the_head_opens_on_the_nth_format() {
        let mut model = PrinterModel::new(Some(2));
        for _ in 0..3 {
            model.receive_format(F.to_vec(), 0);
        }
        assert_eq!(model.state(), PrinterState::PaperOut);
        assert_eq!((model.printed().len(), model.held()), (2, 1));
        let late = model.set_state(PrinterState::Ok, 0);
        assert_eq!(late.len(), 1, "the held format prints once paper is in");
        let mut model = PrinterModel::new(None).with_head_open_on(Some(2));
        model.receive_format(F.to_vec(), 0);
        assert_eq!(
            model.receive_format(F.to_vec(), 0),
            FormatFate::Held(PrinterState::HeadOpen)
        );
        assert_eq!((model.printed().len(), model.held()), (1, 1));
    }

    #[test]
    fn host_status_flags_follow_the_state() {
        let line = |state| {
            let mut model = PrinterModel::new(None);
            model.set_state(state, 0);
            String::from_utf8(model.host_status().unwrap_or_default()).unwrap_or_default()
        };
        assert!(line(PrinterState::Ok).starts_with("\x02030,0,0,1218,"));
        assert!(line(PrinterState::PaperOut).starts_with("\x02030,1,0,"));
        assert!(line(PrinterState::Paused).starts_with("\x02030,0,1,"));
        assert!(line(PrinterState::HeadOpen).contains("\x02000,0,1,0,"));
        assert!(line(PrinterState::RibbonOut).contains("\x02000,0,0,1,"));
    }

    #[test]
    fn control_words_round_trip() {
        for word in [
            "ok",
            "paper-out",
            "ribbon-out",
            "head-open",
            "pause",
            "silent",
        ] {
            let state: PrinterState = word.parse().expect("known word");
            assert_eq!(state.as_str(), word);
        }
        assert!("jammed".parse::<PrinterState>().is_err());
    }
}
