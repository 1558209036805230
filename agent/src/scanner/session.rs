//! One scanner's session: each read from the engine becomes a journaled
//! movement (good beep), a change of mode or location (good beep), a
//! suppressed double read (silence) or a refusal (error beep).
//!
//! Why here and not in the driver: the order that matters to the picker,
//! journal flush first and good beep second (promise 1), is decided in
//! [`serve_reads`], the one loop that holds both the journal and the driver;
//! [`ScannerSession::on_read`] only returns after `Journal::record` flushed.

use super::double_read::DoubleReadFilter;
use super::driver::{DriverError, EngineRead, Scanner};
use super::flow::{ScanFlow, ScanStep};
use super::framing::MAX_READ;
use crate::journal::{Journal, JournalError};
use crate::line_input::InputLine;
use crate::scan_session::ScanAnswer;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_io::{Read, ReadReady, Write};
use protocol::MovementKind;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;
use tracing::{debug, error, info};

/// What one read came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// A movement, durably journaled under this sequence number.
    Recorded {
        /// Its sequence number.
        seq: u64,
    },
    /// A mode card, rack label, or goods waiting for their destination.
    Context(ScanStep),
    /// The same code again within the window: one scan, not two.
    DoubleRead,
    /// Refused; nothing was journaled. The reason is one line.
    Refused(String),
}

/// Which beep an outcome earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beep {
    /// One short beep.
    Good,
    /// Three beeps.
    Error,
}

impl ReadOutcome {
    /// The beep, if any (a double read stays silent: the picker already
    /// heard the first).
    pub fn beep(&self) -> Option<Beep> {
        match self {
            ReadOutcome::Recorded { .. } | ReadOutcome::Context(_) => Some(Beep::Good),
            ReadOutcome::Refused(_) => Some(Beep::Error),
            ReadOutcome::DoubleRead => None,
        }
    }

    /// The `agent` binary's answer line, for movements and refusals.
    pub fn answer(&self) -> Option<ScanAnswer> {
        match self {
            ReadOutcome::Recorded { seq } => Some(ScanAnswer::Recorded { seq: *seq }),
            ReadOutcome::Refused(reason) => Some(ScanAnswer::Refused(reason.clone())),
            _ => None,
        }
    }
}

/// Turns reads into journaled movements and pokes the publisher.
#[derive(Debug)]
pub struct ScannerSession {
    journal: Journal,
    journaled: Arc<Notify>,
    flow: ScanFlow,
    filter: DoubleReadFilter,
    double_reads: u64,
}

impl ScannerSession {
    /// A session journaling to `journal`, starting in mode `kind`.
    pub fn new(
        journal: Journal,
        journaled: Arc<Notify>,
        kind: MovementKind,
        filter: DoubleReadFilter,
    ) -> ScannerSession {
        ScannerSession {
            journal,
            journaled,
            flow: ScanFlow::new(kind),
            filter,
            double_reads: 0,
        }
    }

    /// Double reads suppressed so far.
    pub fn double_reads(&self) -> u64 {
        self.double_reads
    }

    /// Handles one read, taken from the driver at `now`. Blocks while the
    /// journal flushes.
    pub fn on_read(&mut self, read: &EngineRead, now: Instant, device_time_ms: u64) -> ReadOutcome {
        let text = match &read.line {
            InputLine::Text(text) => text.as_str(),
            InputLine::TooLong(len) => {
                return refused(format!(
                    "barcode read of {len} bytes is longer than the limit of {MAX_READ}"
                ))
            }
            InputLine::NotUtf8 => return refused("barcode read is not text".into()),
        };
        if !self.filter.accept(text, read.pull, now) {
            self.double_reads += 1;
            debug!("double read suppressed");
            return ReadOutcome::DoubleRead;
        }
        match self.flow.on_read(text, device_time_ms) {
            Ok(ScanStep::Movement(draft)) => self.record(draft),
            Ok(step) => ReadOutcome::Context(step),
            Err(e) => refused(e.to_string()),
        }
    }

    fn record(&self, draft: crate::MovementDraft) -> ReadOutcome {
        match self.journal.record(draft) {
            Ok(seq) => {
                self.journaled.notify_one();
                ReadOutcome::Recorded { seq }
            }
            Err(e @ JournalError::Invalid(_)) => refused(e.to_string()),
            Err(e) => {
                error!(error = %e, "journal write failed; scan refused");
                ReadOutcome::Refused(format!("journal: {e}").replace(['\n', '\r'], " "))
            }
        }
    }
}

fn refused(reason: String) -> ReadOutcome {
    info!("barcode read refused");
    ReadOutcome::Refused(reason.replace(['\n', '\r'], " "))
}

/// Reads, journals and beeps until the driver fails (the engine went away,
/// or the UART was interrupted for shutdown). `answer` gets the answer line
/// of every movement and refusal, after the flush and before the beep.
pub fn serve_reads<UART, TRIG, BEEP, DELAY>(
    scanner: &mut Scanner<UART, TRIG, BEEP, DELAY>,
    session: &mut ScannerSession,
    answer: &mut dyn FnMut(&ScanAnswer),
) -> Result<(), DriverError<UART, TRIG, BEEP>>
where
    UART: Read + ReadReady + Write,
    TRIG: OutputPin,
    BEEP: OutputPin,
    DELAY: DelayNs,
{
    loop {
        let read = scanner.read()?;
        let outcome = session.on_read(&read, Instant::now(), crate::now_ms());
        if let Some(line) = outcome.answer() {
            answer(&line);
        }
        match outcome.beep() {
            Some(Beep::Good) => scanner.beep_good()?,
            Some(Beep::Error) => scanner.beep_error()?,
            None => {}
        }
    }
}
