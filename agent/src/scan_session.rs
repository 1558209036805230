//! One picker's scan session: each input line becomes exactly one answer,
//! `ok seq=<N>` once the movement is durably journaled, or
//! `error: <reason>` with nothing journaled.
//!
//! Why separate from the binary: the answer is the device's good or bad
//! beep, the one promise the picker sees (promise 1), so the decision of
//! what to answer is kept synchronous and testable without stdin or stdout.

use crate::journal::{Journal, JournalError};
use crate::line_input::InputLine;
use crate::scanline::{parse_scan_line, ScanLineError};
use std::fmt;
use std::sync::Arc;
use tokio::sync::Notify;
use tracing::{debug, error, info};

/// What the device answers to one scan line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanAnswer {
    /// Durably journaled under this sequence number (good beep).
    Recorded {
        /// Its sequence number.
        seq: u64,
    },
    /// Refused; nothing was journaled (bad beep). The reason is one line.
    Refused(String),
}

impl fmt::Display for ScanAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanAnswer::Recorded { seq } => write!(f, "ok seq={seq}"),
            ScanAnswer::Refused(reason) => write!(f, "error: {reason}"),
        }
    }
}

/// Turns scan lines into journaled movements and pokes the publisher.
#[derive(Debug, Clone)]
pub struct ScanSession {
    journal: Journal,
    journaled: Arc<Notify>,
}

impl ScanSession {
    /// A session writing to `journal` and poking `journaled` after each record.
    pub fn new(journal: Journal, journaled: Arc<Notify>) -> ScanSession {
        ScanSession { journal, journaled }
    }

    /// The answer to one input line, or `None` for a blank line or a
    /// comment (`#` first). Blocks while the journal flushes.
    pub fn answer(&self, line: &InputLine, now_ms: u64) -> Option<ScanAnswer> {
        let text = match line {
            InputLine::Text(text) => text.trim(),
            InputLine::TooLong(len) => return Some(refused(&ScanLineError::TooLong(*len))),
            InputLine::NotUtf8 => return Some(refused(&ScanLineError::NotUtf8)),
        };
        if text.is_empty() || text.starts_with('#') {
            return None;
        }
        let draft = match parse_scan_line(text, now_ms) {
            Ok(draft) => draft,
            Err(e) => return Some(refused(&e)),
        };
        let (sku, location) = (draft.sku.clone(), draft.location.clone());
        match self.journal.record(draft) {
            Ok(seq) => {
                debug!(seq, %sku, %location, "scan journaled");
                self.journaled.notify_one();
                Some(ScanAnswer::Recorded { seq })
            }
            Err(e @ JournalError::Invalid(_)) => Some(refused(&e)),
            Err(e) => {
                error!(error = %e, "journal write failed; scan refused");
                Some(ScanAnswer::Refused(one_line(&format!("journal: {e}"))))
            }
        }
    }
}

fn refused(reason: &dyn fmt::Display) -> ScanAnswer {
    // The reason may quote scanned text; log only that a line was refused.
    info!("scan line refused");
    ScanAnswer::Refused(one_line(&reason.to_string()))
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (tempfile::TempDir, ScanSession, Arc<Notify>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path()).expect("open");
        let notify = Arc::new(Notify::new());
        (dir, ScanSession::new(journal, notify.clone()), notify)
    }

    fn text(s: &str) -> InputLine {
        InputLine::Text(s.to_string())
    }

    #[test]
    fn answers_one_line_per_scan_and_none_for_comments() {
        let (_dir, s, _) = session();
        let table: &[(InputLine, Option<&str>)] = &[
            (text(""), None),
            (text("   \t"), None),
            (text("# shift start"), None),
            (text("  # indented comment"), None),
            (text("pick SKU-1 A-01 2"), Some("ok seq=1")),
            (text("pick SKU-1 A-01 0"), Some("error: quantity 0 is not allowed for pick: must be greater than zero")),
            (text("fly SKU-1 A-01 2"), Some("error: unknown movement kind \"fly\" (expected receive, putaway, move, pick, pack, adjust or count)")),
            (InputLine::NotUtf8, Some("error: scan line is not valid UTF-8 text")),
            (InputLine::TooLong(5000), Some("error: scan line of 5000 bytes is longer than the limit of 1024")),
            (text("move SKU-2 A-01 1 to=B-02\r"), Some("ok seq=2")),
        ];
        for (line, want) in table {
            let got = s.answer(line, 7).map(|a| a.to_string());
            assert_eq!(got.as_deref(), *want, "line {line:?}");
        }
    }

    #[tokio::test]
    async fn pokes_the_publisher_only_after_a_record() {
        let (_dir, s, notify) = session();
        assert!(s.answer(&text("pick S A 0"), 0).is_some());
        let idle = tokio::time::timeout(std::time::Duration::from_millis(20), notify.notified());
        assert!(idle.await.is_err(), "a refused scan must not poke");
        assert_eq!(
            s.answer(&text("pick S A 1"), 0),
            Some(ScanAnswer::Recorded { seq: 1 })
        );
        let poked = tokio::time::timeout(std::time::Duration::from_secs(1), notify.notified());
        assert!(poked.await.is_ok());
    }
}
