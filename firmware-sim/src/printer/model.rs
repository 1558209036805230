//! The fake printer's state, pure: what it does with a received format
//! and what it answers to `~HS`, with no socket in sight.
//!
//! In `paper-out`, `ribbon-out`, `head-open` and `paused` a received
//! format is discarded and counted, not held: a real printer would keep
//! it and print it once the problem is cleared, but a station must treat
//! the job as failed anyway (it saw the problem in `~HS`) and will resend
//! it, so holding it would only print a duplicate. `silent` answers
//! nothing and prints nothing, like a printer that has hung.
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
    /// Discarded (and counted) because of this state.
    Discarded(PrinterState),
    /// Not even received: the printer is silent.
    Ignored,
}

/// The fake printer's state machine.
#[derive(Debug, Default)]
pub struct PrinterModel {
    state: PrinterState,
    printed: Vec<PrintedLabel>,
    discarded: u64,
    paper_out_after: Option<u64>,
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

    /// Switches state (the operator, or the test).
    pub fn set_state(&mut self, state: PrinterState) {
        self.state = state;
    }

    /// The labels printed so far, in order.
    pub fn printed(&self) -> &[PrintedLabel] {
        &self.printed
    }

    /// Formats discarded because the printer had a problem.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// Acts on a whole format received at `ms`.
    pub fn receive_format(&mut self, zpl: Vec<u8>, ms: u64) -> FormatFate {
        match self.state {
            PrinterState::Ok => {}
            PrinterState::Silent => return FormatFate::Ignored,
            problem => {
                self.discarded += 1;
                return FormatFate::Discarded(problem);
            }
        }
        let n = self.printed.len() as u64 + 1;
        let label = PrintedLabel { n, zpl, ms };
        self.printed.push(label.clone());
        if self.paper_out_after == Some(n) {
            self.paper_out_after = None;
            self.state = PrinterState::PaperOut;
        }
        FormatFate::Printed(label)
    }

    /// The answer to `~HS` in the current state; `None` when silent.
    pub fn host_status(&self) -> Option<Vec<u8>> {
        let flag = |state| u8::from(self.state == state);
        let (paper, pause) = (flag(PrinterState::PaperOut), flag(PrinterState::Paused));
        let (head, ribbon) = (flag(PrinterState::HeadOpen), flag(PrinterState::RibbonOut));
        if self.state == PrinterState::Silent {
            return None;
        }
        // 030 = 9600 8N1 settings; label 1218 dots; no formats queued (this
        // printer prints at once); thermal transfer, tear-off, no batch.
        let answer = format!(
            "\x02030,{paper},{pause},1218,000,0,0,0,000,0,0,0\x03\r\n\
             \x02000,0,{head},{ribbon},1,2,6,0,00000000,1,000\x03\r\n\
             \x021234,0\x03\r\n"
        );
        Some(answer.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::{FormatFate, PrinterModel, PrinterState};

    #[test]
    fn problems_discard_and_count() {
        let mut model = PrinterModel::new(None);
        assert!(
            matches!(model.receive_format(b"^XA^XZ".to_vec(), 1), FormatFate::Printed(l) if l.n == 1)
        );
        for state in [
            PrinterState::PaperOut,
            PrinterState::HeadOpen,
            PrinterState::Paused,
        ] {
            model.set_state(state);
            assert_eq!(
                model.receive_format(b"^XA^XZ".to_vec(), 2),
                FormatFate::Discarded(state)
            );
        }
        model.set_state(PrinterState::Silent);
        assert_eq!(
            model.receive_format(b"^XA^XZ".to_vec(), 3),
            FormatFate::Ignored
        );
        assert_eq!(model.host_status(), None);
        assert_eq!((model.printed().len(), model.discarded()), (1, 3));
    }

    #[test]
    fn paper_runs_out_after_n_labels_once() {
        let mut model = PrinterModel::new(Some(2));
        for _ in 0..3 {
            model.receive_format(b"^XA^XZ".to_vec(), 0);
        }
        assert_eq!(model.state(), PrinterState::PaperOut);
        assert_eq!((model.printed().len(), model.discarded()), (2, 1));
        model.set_state(PrinterState::Ok);
        model.receive_format(b"^XA^XZ".to_vec(), 0);
        assert_eq!(model.state(), PrinterState::Ok);
    }

    #[test]
    fn host_status_flags_follow_the_state() {
        let line = |state| {
            let mut model = PrinterModel::new(None);
            model.set_state(state);
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
