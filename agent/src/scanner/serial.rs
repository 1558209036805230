//! The real serial path: the agent's `--scanner /dev/ttyX`. Opens the port
//! with tokio-serial, hands the driver a UART and two command pins over it
//! (trigger and beeper as `SYN` commands, see [`super::commands`]), serves
//! reads on a thread of its own, and reopens the port whenever the engine
//! goes away (a cable pulled, a simulator restarted).
//!
//! Why a thread with `block_on`: the driver is blocking, as embedded-hal
//! drivers are, while the port is tokio-serial's async stream; each UART
//! call waits on the runtime, and a read also races the shutdown token, so
//! a SIGTERM ends a read that would otherwise wait for the next barcode.

use super::commands::{BEEPER_OFF, BEEPER_ON, TRIGGER_OFF, TRIGGER_ON};
use super::driver::{Scanner, ScannerError};
use super::session::{serve_reads, ScannerSession};
use crate::scan_session::ScanAnswer;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::runtime::Handle;
use tokio_serial::{SerialPortBuilderExt, SerialStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// How long a command may take to leave before the port counts as stuck.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between attempts to (re)open the port.
const REOPEN_EVERY: Duration = Duration::from_millis(200);

/// Where the scanner is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// The serial device (or a symlink to it).
    pub path: PathBuf,
    /// Line speed.
    pub baud: u32,
}

type SharedWriter = Arc<Mutex<WriteHalf<SerialStream>>>;

/// The driver's UART: tokio-serial's stream, used from a blocking thread.
pub struct SerialUart {
    runtime: Handle,
    reader: ReadHalf<SerialStream>,
    /// Bytes taken while checking readiness, handed out first.
    early: Vec<u8>,
    writer: SharedWriter,
    cancel: CancellationToken,
}

impl embedded_io::ErrorType for SerialUart {
    type Error = io::Error;
}

impl embedded_io::Read for SerialUart {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.early.is_empty() {
            let n = buf.len().min(self.early.len());
            buf[..n].copy_from_slice(&self.early[..n]);
            self.early.drain(..n);
            return Ok(n);
        }
        let reader = &mut self.reader;
        let cancel = &self.cancel;
        self.runtime.block_on(async {
            tokio::select! {
                _ = cancel.cancelled() => Err(io::Error::new(io::ErrorKind::Interrupted, "shutting down")),
                read = reader.read(buf) => read,
            }
        })
    }
}

impl embedded_io::ReadReady for SerialUart {
    /// Polls the port once without waiting; bytes it yields are kept for
    /// the next read. End of file counts as ready (the read then says so).
    fn read_ready(&mut self) -> io::Result<bool> {
        if !self.early.is_empty() {
            return Ok(true);
        }
        let mut buf = [0u8; 256];
        let reader = &mut self.reader;
        // A zero timeout polls the read exactly once; tokio's reads are
        // cancel-safe, so nothing is lost when it is not ready.
        let polled = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::ZERO, reader.read(&mut buf)).await });
        match polled {
            Err(_elapsed) => Ok(false),
            Ok(Ok(0)) => Ok(true),
            Ok(Ok(n)) => {
                self.early.extend_from_slice(&buf[..n]);
                Ok(true)
            }
            Ok(Err(e)) => Err(e),
        }
    }
}

impl embedded_io::Write for SerialUart {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send(&self.runtime, &self.writer, buf).map(|()| buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // `send` flushes every write.
        Ok(())
    }
}

fn send(runtime: &Handle, writer: &SharedWriter, bytes: &[u8]) -> io::Result<()> {
    let mut writer = writer
        .lock()
        .map_err(|_| io::Error::other("serial writer poisoned"))?;
    runtime.block_on(async {
        let write = async {
            writer.write_all(bytes).await?;
            writer.flush().await
        };
        tokio::time::timeout(WRITE_TIMEOUT, write)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "serial write stuck",
                ))
            })
    })
}

/// An output "pin" that is really a pair of engine commands on the UART.
pub struct CommandPin {
    runtime: Handle,
    writer: SharedWriter,
    on: &'static [u8],
    off: &'static [u8],
}

/// A command pin's failure: the UART write behind it failed.
#[derive(Debug)]
pub struct CommandPinError(pub io::Error);

impl embedded_hal::digital::Error for CommandPinError {
    fn kind(&self) -> embedded_hal::digital::ErrorKind {
        embedded_hal::digital::ErrorKind::Other
    }
}

impl embedded_hal::digital::ErrorType for CommandPin {
    type Error = CommandPinError;
}

impl embedded_hal::digital::OutputPin for CommandPin {
    fn set_high(&mut self) -> Result<(), CommandPinError> {
        send(&self.runtime, &self.writer, self.on).map_err(CommandPinError)
    }

    fn set_low(&mut self) -> Result<(), CommandPinError> {
        send(&self.runtime, &self.writer, self.off).map_err(CommandPinError)
    }
}

/// A delay that sleeps the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadDelay;

impl embedded_hal::delay::DelayNs for ThreadDelay {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(u64::from(ns)));
    }
}

/// The driver over a serial port.
pub type SerialScanner = Scanner<SerialUart, CommandPin, CommandPin, ThreadDelay>;

/// Opens the port and builds the driver over it.
pub fn open_scanner(
    settings: &SerialSettings,
    runtime: &Handle,
    cancel: &CancellationToken,
) -> io::Result<SerialScanner> {
    let path = settings.path.to_string_lossy().into_owned();
    let stream = {
        let _context = runtime.enter();
        tokio_serial::new(path, settings.baud)
            .timeout(Duration::from_secs(1))
            .open_native_async()
            .map_err(io::Error::from)?
    };
    let (reader, writer) = tokio::io::split(stream);
    let writer = Arc::new(Mutex::new(writer));
    let pin = |on, off| CommandPin {
        runtime: runtime.clone(),
        writer: writer.clone(),
        on,
        off,
    };
    let trigger = pin(TRIGGER_ON, TRIGGER_OFF);
    let beeper = pin(BEEPER_ON, BEEPER_OFF);
    let uart = SerialUart {
        runtime: runtime.clone(),
        reader,
        early: Vec::new(),
        writer,
        cancel: cancel.clone(),
    };
    Ok(Scanner::new(uart, trigger, beeper, ThreadDelay))
}

/// Serves the scanner at `settings.path` until `cancel`, reopening the port
/// whenever it fails. Call it on a plain thread (it blocks on `runtime`).
pub fn run_serial_scanner(
    settings: &SerialSettings,
    session: &mut ScannerSession,
    runtime: &Handle,
    cancel: &CancellationToken,
    answer: &mut dyn FnMut(&ScanAnswer),
) {
    serve_serial(settings, runtime, cancel, &mut |scanner| {
        serve_reads(scanner, session, answer)
    });
}

/// What serves an open scanner until its line fails.
pub type ServeScanner<'a> = dyn FnMut(&mut SerialScanner) -> Result<(), SerialError> + 'a;

/// The driver's error over a serial port.
pub type SerialError = ScannerError<io::Error, CommandPinError, CommandPinError>;

/// Opens the scanner at `settings.path` and hands it to `serve` until
/// `cancel`, reopening the port whenever it fails (the journaling scan
/// path and the terminal UI serve reads differently, and share this).
pub fn serve_serial(
    settings: &SerialSettings,
    runtime: &Handle,
    cancel: &CancellationToken,
    serve: &mut ServeScanner<'_>,
) {
    let mut failures = 0u64;
    while !cancel.is_cancelled() {
        let mut scanner = match open_scanner(settings, runtime, cancel) {
            Ok(scanner) => scanner,
            Err(e) => {
                if failures == 0 {
                    warn!(path = %settings.path.display(), error = %e, "cannot open the scanner; retrying");
                }
                failures += 1;
                pause(runtime, cancel, REOPEN_EVERY);
                continue;
            }
        };
        failures = 0;
        info!(path = %settings.path.display(), "scanner connected");
        let served = match scanner.init() {
            Ok(()) => serve(&mut scanner),
            Err(e) => Err(e),
        };
        match served {
            Err(_) if cancel.is_cancelled() => break,
            Err(ScannerError::Disconnected) => warn!("scanner disconnected; reopening"),
            Err(e) => warn!(error = %e, "scanner line failed; reopening"),
            Ok(()) => {}
        }
        pause(runtime, cancel, REOPEN_EVERY);
    }
    debug!("scanner stopped");
}

fn pause(runtime: &Handle, cancel: &CancellationToken, how_long: Duration) {
    runtime.block_on(async {
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = tokio::time::sleep(how_long) => {}
        }
    });
}
