//! One scan of a simulated handheld, run on a blocking thread: the
//! driver's reads through the session (journal flush and all), the expected
//! sequence number registered with the ack clock first, the beep after.
//!
//! Why apart from the device: it is the synchronous half (the journal
//! blocks on its flush), moved whole onto a blocking thread and back, so
//! the device task never blocks the runtime.

use super::acks::AckClock;
use crate::memory_engine::SimScanner;
use agent::scanner::{Beep, ReadOutcome, ScannerSession};
use agent::Journal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where a device's journal lives.
#[derive(Clone)]
pub enum JournalHome {
    /// A sled directory of its own (reopened from disk after power loss).
    Dir(PathBuf),
    /// A tree in a database shared by the fleet (past the file limit).
    Shared(sled::Db),
}

/// One scan's reads, run on a blocking thread (the journal flushes).
pub(super) struct ScanWork {
    pub(super) scanner: SimScanner,
    pub(super) session: ScannerSession,
    pub(super) journal: Journal,
    pub(super) clock: AckClock,
    pub(super) clean: bool,
    pub(super) device_time_ms: u64,
    pub(super) lines: usize,
}

/// The scan's parts back, and what each read came to.
pub(super) struct ScanDone {
    pub(super) scanner: SimScanner,
    pub(super) session: ScannerSession,
    pub(super) outcomes: Vec<ReadOutcome>,
}

impl ScanWork {
    /// Runs the reads: for each, the expected seq first, then the session
    /// (which flushes the journal), then the beep.
    pub(super) fn run(mut self) -> ScanDone {
        let mut outcomes = Vec::with_capacity(self.lines);
        for _ in 0..self.lines {
            let Ok(read) = self.scanner.read() else {
                break;
            };
            let at = Instant::now();
            let next = self.journal.last_seq() + 1;
            self.clock.expect(next, at, self.clean);
            let outcome = self.session.on_read(&read, at, self.device_time_ms);
            if !matches!(outcome, ReadOutcome::Recorded { seq } if seq == next) {
                self.clock.withdraw(next);
            }
            // Beeps cannot fail on the in-memory engine.
            let _ = match outcome.beep() {
                Some(Beep::Good) => self.scanner.beep_good(),
                Some(Beep::Error) => self.scanner.beep_error(),
                None => Ok(()),
            };
            outcomes.push(outcome);
        }
        ScanDone {
            scanner: self.scanner,
            session: self.session,
            outcomes,
        }
    }
}

/// Opens a device's journal; after a power loss sled may need a moment to
/// release the old handle's file lock, so a locked database is retried.
pub(super) async fn open_journal(home: &JournalHome, id: &str) -> Result<Journal, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let opened = match home {
            JournalHome::Dir(dir) => Journal::open(dir),
            JournalHome::Shared(db) => Journal::open_in(db, id),
        };
        match opened {
            Ok(journal) => return Ok(journal),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("cannot open journal: {e}"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
