//! The barcode-engine driver, on the embedded-hal 1.0 model: generic over
//! the traits it needs (a UART through embedded-io, a trigger pin, a beeper
//! or LED pin, a delay), owning them, and returning typed errors that wrap
//! the bus or pin error.
//!
//! Why generic: the same driver runs on a handheld's serial port (the
//! agent's `--scanner`, see [`super::serial`]), inside the fleet simulator
//! over an in-memory engine, and against embedded-hal-mock in tests that
//! pin down every pin edge and byte. It knows nothing of journals: the
//! agent calls [`Scanner::beep_good`] only after the journal flush.

use super::commands::CONFIGURE;
use super::framing::ReadFramer;
use crate::line_input::InputLine;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_io::{Read, ReadReady, Write};
use thiserror::Error;

/// Length of the good-read beep.
pub const GOOD_BEEP_MS: u32 = 60;
/// Length of each of the error beep's pulses.
pub const ERROR_BEEP_MS: u32 = 120;
/// Silence between the error beep's pulses.
pub const ERROR_GAP_MS: u32 = 80;
/// Pulses of the error beep (the good beep has one).
pub const ERROR_PULSES: usize = 3;

/// Why the driver failed; wraps the bus or pin error.
#[derive(Debug, Error)]
pub enum ScannerError<U, T, B> {
    /// The UART failed.
    #[error("UART error: {0:?}")]
    Uart(U),
    /// The trigger pin failed.
    #[error("trigger pin error: {0:?}")]
    Trigger(T),
    /// The beeper pin failed.
    #[error("beeper pin error: {0:?}")]
    Beeper(B),
    /// The UART reached its end: the engine is gone.
    #[error("the barcode engine closed the line")]
    Disconnected,
    /// The UART accepted no bytes of a command.
    #[error("the UART accepted no bytes")]
    WriteZero,
}

/// One read, and the trigger pull it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineRead {
    /// The read, without its CR/LF.
    pub line: InputLine,
    /// Which pull of the trigger (counted from 1 by this driver; 0 before
    /// the first) the engine answered with this read. A read that arrived
    /// after the trigger was released, before it was pressed again (the
    /// engine's second decode of the same symbol), counts for that pull.
    pub pull: u64,
}

/// The error type of a [`Scanner`] over these parts.
pub type DriverError<UART, TRIG, BEEP> = ScannerError<
    <UART as embedded_io::ErrorType>::Error,
    <TRIG as embedded_hal::digital::ErrorType>::Error,
    <BEEP as embedded_hal::digital::ErrorType>::Error,
>;

/// A barcode engine on a UART, with a trigger and a beeper.
#[derive(Debug)]
pub struct Scanner<UART, TRIG, BEEP, DELAY> {
    uart: UART,
    trigger: TRIG,
    beeper: BEEP,
    delay: DELAY,
    framer: ReadFramer,
    pulls: u64,
}

impl<UART, TRIG, BEEP, DELAY> Scanner<UART, TRIG, BEEP, DELAY>
where
    UART: Read + ReadReady + Write,
    TRIG: OutputPin,
    BEEP: OutputPin,
    DELAY: DelayNs,
{
    /// Takes ownership of the parts; does nothing to them yet.
    pub fn new(uart: UART, trigger: TRIG, beeper: BEEP, delay: DELAY) -> Self {
        Scanner {
            uart,
            trigger,
            beeper,
            delay,
            framer: ReadFramer::new(),
            pulls: 0,
        }
    }

    /// Puts the engine in a known state: trigger released, beeper off,
    /// AIM identifiers and CR framing on ([`CONFIGURE`]).
    pub fn init(&mut self) -> Result<(), DriverError<UART, TRIG, BEEP>> {
        self.trigger.set_low().map_err(ScannerError::Trigger)?;
        self.beeper.set_low().map_err(ScannerError::Beeper)?;
        self.write_command(CONFIGURE)
    }

    /// The next read. What the engine already sent (a second decode of
    /// the symbol of the last pull, say) is returned first, as part of that
    /// pull; otherwise the trigger is pressed until the engine sends a
    /// complete line, then released.
    pub fn read(&mut self) -> Result<EngineRead, DriverError<UART, TRIG, BEEP>> {
        if let Some(line) = self.take_sent()? {
            return Ok(EngineRead {
                line,
                pull: self.pulls,
            });
        }
        self.pulls += 1;
        self.trigger.set_high().map_err(ScannerError::Trigger)?;
        let read = self.receive_line();
        // Release the trigger even when the UART failed.
        let released = self.trigger.set_low().map_err(ScannerError::Trigger);
        let line = read?;
        released?;
        Ok(EngineRead {
            line,
            pull: self.pulls,
        })
    }

    /// A complete read among the bytes already sent, without blocking.
    fn take_sent(&mut self) -> Result<Option<InputLine>, DriverError<UART, TRIG, BEEP>> {
        let mut buf = [0u8; 64];
        loop {
            if let Some(line) = self.framer.next_read() {
                return Ok(Some(line));
            }
            if !self.uart.read_ready().map_err(ScannerError::Uart)? {
                return Ok(None);
            }
            let n = self.uart.read(&mut buf).map_err(ScannerError::Uart)?;
            if n == 0 {
                self.framer.reset();
                return Err(ScannerError::Disconnected);
            }
            self.framer.push(&buf[..n]);
        }
    }

    /// One short beep: the scan is confirmed. Call it only once the scan
    /// is durable.
    pub fn beep_good(&mut self) -> Result<(), DriverError<UART, TRIG, BEEP>> {
        self.pulse(GOOD_BEEP_MS)
    }

    /// Three beeps: the scan was refused, nothing was recorded.
    pub fn beep_error(&mut self) -> Result<(), DriverError<UART, TRIG, BEEP>> {
        for i in 0..ERROR_PULSES {
            if i > 0 {
                self.delay.delay_ms(ERROR_GAP_MS);
            }
            self.pulse(ERROR_BEEP_MS)?;
        }
        Ok(())
    }

    /// Gives the parts back.
    pub fn release(self) -> (UART, TRIG, BEEP, DELAY) {
        (self.uart, self.trigger, self.beeper, self.delay)
    }

    fn pulse(&mut self, ms: u32) -> Result<(), DriverError<UART, TRIG, BEEP>> {
        self.beeper.set_high().map_err(ScannerError::Beeper)?;
        self.delay.delay_ms(ms);
        self.beeper.set_low().map_err(ScannerError::Beeper)
    }

    fn receive_line(&mut self) -> Result<InputLine, DriverError<UART, TRIG, BEEP>> {
        let mut buf = [0u8; 64];
        loop {
            if let Some(read) = self.framer.next_read() {
                return Ok(read);
            }
            let n = self.uart.read(&mut buf).map_err(ScannerError::Uart)?;
            if n == 0 {
                self.framer.reset();
                return Err(ScannerError::Disconnected);
            }
            self.framer.push(&buf[..n]);
        }
    }

    fn write_command(&mut self, command: &[u8]) -> Result<(), DriverError<UART, TRIG, BEEP>> {
        let mut rest = command;
        while !rest.is_empty() {
            let n = self.uart.write(rest).map_err(ScannerError::Uart)?;
            if n == 0 {
                return Err(ScannerError::WriteZero);
            }
            rest = &rest[n..];
        }
        self.uart.flush().map_err(ScannerError::Uart)
    }
}
