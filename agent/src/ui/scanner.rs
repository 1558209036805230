//! The serial barcode engine as an input of the terminal UI: each read is
//! an [`Input::Scan`] for the session, and the engine beeps what the
//! session answered (good once a step is accepted or its movement is
//! journaled, three beeps on a refusal) before the trigger is pulled again.
//!
//! Why a reply per read: the driver blocks on the next barcode, so a beep
//! that waited for it would come a read late; a read and its beep are one
//! exchange, as on the journaling scan path.

use crate::line_input::InputLine;
use crate::picking::{Beep, Input};
use crate::scanner::{serve_serial, DoubleReadFilter, SerialError, SerialScanner, SerialSettings};
use anyhow::{Context, Result};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// One barcode read, waiting for the session's beep.
#[derive(Debug)]
pub struct ScanRead {
    /// The read, for the session.
    pub input: Input,
    /// Where its beep goes.
    pub reply: BeepReply,
}

/// The engine's side of one read: answer it once.
#[derive(Debug)]
pub struct BeepReply(std_mpsc::Sender<Option<Beep>>);

impl BeepReply {
    /// Sounds `beep` on the engine (or nothing), and lets the next read come.
    pub fn answer(self, beep: Option<Beep>) {
        // The reader is gone only when the UI is shutting down.
        let _ = self.0.send(beep);
    }
}

/// Serves the engine at `settings` on a thread of its own until `cancel`;
/// the reads arrive on the receiver.
pub fn spawn_scanner_reads(
    settings: SerialSettings,
    mut filter: DoubleReadFilter,
    cancel: CancellationToken,
) -> Result<mpsc::Receiver<ScanRead>> {
    let (tx, rx) = mpsc::channel(1);
    let runtime = Handle::current();
    std::thread::Builder::new()
        .name("scanner".into())
        .spawn(move || {
            serve_serial(&settings, &runtime, &cancel, &mut |scanner| {
                exchange_reads(scanner, &mut filter, &tx, &cancel)
            });
        })
        .context("cannot start the scanner thread")?;
    Ok(rx)
}

/// Reads, hands each to the UI and beeps its answer, until the line fails
/// or the UI is gone.
fn exchange_reads(
    scanner: &mut SerialScanner,
    filter: &mut DoubleReadFilter,
    tx: &mpsc::Sender<ScanRead>,
    cancel: &CancellationToken,
) -> Result<(), SerialError> {
    loop {
        let read = scanner.read()?;
        let text = match read.line {
            InputLine::Text(text) => text,
            // Noise on the line: nothing the session could take.
            InputLine::TooLong(_) | InputLine::NotUtf8 => {
                scanner.beep_error()?;
                continue;
            }
        };
        if !filter.accept(&text, read.pull, Instant::now()) {
            debug!("double read suppressed");
            continue;
        }
        let (reply, beep) = std_mpsc::channel();
        let input = Input::Scan(text);
        let reply = BeepReply(reply);
        if tx.blocking_send(ScanRead { input, reply }).is_err() {
            return Ok(());
        }
        match wait_beep(&beep, cancel) {
            Some(Beep::Good) => scanner.beep_good()?,
            Some(Beep::Error) => scanner.beep_error()?,
            None => {}
        }
        if cancel.is_cancelled() {
            return Ok(());
        }
    }
}

/// The UI's answer, or none if it is shutting down.
fn wait_beep(beep: &std_mpsc::Receiver<Option<Beep>>, cancel: &CancellationToken) -> Option<Beep> {
    while !cancel.is_cancelled() {
        match beep.recv_timeout(Duration::from_millis(100)) {
            Ok(answer) => return answer,
            Err(std_mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    }
    None
}
