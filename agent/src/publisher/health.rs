//! What a status reports about the device besides its stamps: journal
//! backlog, epoch and acknowledged watermark, battery and radio signal
//! (WIRE.md §3.6). The driver reads it for every heartbeat and the link
//! for every last will, from the same shared sources.
//!
//! Signal: the agent has no radio API of its own. If the settings name a
//! `signal_file`, the agent reads one integer there (dBm, -150 to 0, e.g.
//! `-63`, surrounding white space allowed) for every status; something on
//! the handheld that knows the Wi-Fi signal (a vendor daemon, a cron job
//! running `iw dev wlan0 link`) keeps it current. No file, an unreadable
//! one, or a value that is not a plausible dBm: the status says "unknown".

use super::Battery;
use crate::journal::Journal;
use protocol::SIGNAL_DBM_RANGE;
use std::path::{Path, PathBuf};
use thiserror::Error;
use tracing::debug;

/// The device's state as one status reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Health {
    /// Movements journaled but not yet acknowledged.
    pub(super) backlog: u64,
    /// Battery, percent, if known.
    pub(super) battery_pct: Option<u8>,
    /// The journal's epoch.
    pub(super) epoch: u64,
    /// The hub's acknowledged-through watermark in that epoch.
    pub(super) acked_seq: u64,
    /// Radio signal, dBm, if known.
    pub(super) signal_dbm: Option<i16>,
}

/// Reads [`Health`] from the journal, the battery the handle sets and the
/// signal file; clones share them all.
#[derive(Clone)]
pub(super) struct HealthProbe {
    journal: Journal,
    battery: Battery,
    signal: SignalSource,
}

impl HealthProbe {
    pub(super) fn new(journal: Journal, battery: Battery, signal: SignalSource) -> HealthProbe {
        HealthProbe {
            journal,
            battery,
            signal,
        }
    }

    /// The device's state now.
    pub(super) fn read(&self) -> Health {
        // The epoch first: the counters read after it belong to it.
        let epoch = self.journal.epoch();
        let acked_seq = self.journal.acked();
        Health {
            backlog: self.journal.backlog(),
            battery_pct: self.battery.get(),
            epoch,
            acked_seq,
            signal_dbm: self.signal.read(),
        }
    }
}

/// Why the signal file gave no reading (logged, never fatal).
#[derive(Debug, Error)]
pub enum SignalError {
    /// The file cannot be read.
    #[error("cannot read the signal file: {0}")]
    Read(#[from] std::io::Error),
    /// It does not hold one integer.
    #[error("the signal file does not hold an integer dBm")]
    NotANumber,
    /// The integer is not a plausible signal strength.
    #[error("signal {0} dBm is outside -150..=0")]
    OutOfRange(i64),
}

/// Where the radio signal comes from: a file holding dBm, or nowhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalSource {
    file: Option<PathBuf>,
}

impl SignalSource {
    /// Signal read from `file` on every status (`None`: never known).
    pub fn new(file: Option<PathBuf>) -> SignalSource {
        SignalSource { file }
    }

    /// The signal now, or `None` if there is no file or no good value in it.
    pub fn read(&self) -> Option<i16> {
        let path = self.file.as_deref()?;
        match read_dbm(path) {
            Ok(dbm) => Some(dbm),
            Err(e) => {
                debug!(path = %path.display(), error = %e, "no signal reading");
                None
            }
        }
    }
}

/// One integer dBm from `path`, checked against [`SIGNAL_DBM_RANGE`].
pub fn read_dbm(path: &Path) -> Result<i16, SignalError> {
    let text = std::fs::read_to_string(path)?;
    let value: i64 = text.trim().parse().map_err(|_| SignalError::NotANumber)?;
    i16::try_from(value)
        .ok()
        .filter(|dbm| SIGNAL_DBM_RANGE.contains(dbm))
        .ok_or(SignalError::OutOfRange(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signal_file_is_read_checked_and_optional() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("signal");
        let source = SignalSource::new(Some(path.clone()));
        assert_eq!(source.read(), None, "no file yet");
        for (text, want) in [
            ("-63\n", Some(-63)),
            ("  0 ", Some(0)),
            ("-150", Some(-150)),
            ("-151", None),
            ("12", None),
            ("-99999999999", None),
            ("strong", None),
            ("", None),
        ] {
            std::fs::write(&path, text).expect("write");
            assert_eq!(source.read(), want, "{text:?}");
        }
        assert_eq!(SignalSource::default().read(), None, "no file configured");
    }
}
