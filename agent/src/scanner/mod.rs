//! The handheld's barcode scanner: the engine driver on embedded-hal
//! traits, the reads it frames, double-read suppression, the mode/location
//! flow that turns reads into movements, and the real serial port.
//!
//! Map: [`driver::Scanner`] owns a UART (embedded-io), a trigger pin and a
//! beeper pin and speaks to the engine; [`framing`] cuts its byte stream
//! into reads; [`double_read`] makes one trigger pull one scan; [`flow`]
//! turns reads into drafts (GS1 parsing lives in `protocol::barcode`);
//! [`session`] journals them and decides the beep, which [`serve_reads`]
//! plays only after the flush; [`serial`] runs all of it on a tokio-serial
//! port for `agent --scanner`; [`commands`] is the engine's command set.

pub mod commands;
pub mod double_read;
pub mod driver;
pub mod flow;
pub mod framing;
pub mod serial;
pub mod session;

#[cfg(test)]
mod driver_tests;

pub use double_read::{DoubleReadFilter, DEFAULT_DOUBLE_READ_WINDOW};
pub use driver::{DriverError, EngineRead, Scanner, ScannerError};
pub use flow::{ScanFlow, ScanFlowError, ScanStep};
pub use framing::ReadFramer;
pub use serial::{
    run_serial_scanner, serve_serial, SerialError, SerialScanner, SerialSettings, ThreadDelay,
};
pub use session::{serve_reads, Beep, ReadOutcome, ScannerSession};
