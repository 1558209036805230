//! A fake Zebra-compatible label printer on raw TCP for tests and demos:
//! takes ZPL like a printer's port 9100, answers `~HS` with the ZPL II
//! guide's three-line host status, and records what it printed.
//!
//! Map: [`splitter`] cuts a connection's bytes into formats and `~HS`
//! queries; [`model`] is the printer's state (ok, paper-out, ribbon-out,
//! head-open, paused, silent) and decides what a format and a query get;
//! [`record`] writes printed labels as JSON lines; [`server`] is the TCP
//! shell ([`FakePrinter`], switchable at run time); [`cli`] runs it as
//! `firmware-sim printer` with control lines on stdin.
//!
//! Why a fake: the station's driver (`agent::printer`) must be tested
//! against paper running out mid-batch, an open head and a hung printer,
//! which a real printer only does by hand.

pub mod cli;
pub mod model;
pub mod record;
pub mod server;
pub mod splitter;

pub use cli::{run_printer, wait_for_stop_signal, PrinterCliError};
pub use model::{FormatFate, PrintedLabel, PrinterModel, PrinterState, UnknownState};
pub use record::RecordFile;
pub use server::{FakePrinter, FakePrinterConfig, FakePrinterError};
pub use splitter::{StreamEvent, ZplSplitter};
