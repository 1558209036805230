//! The handheld's terminal UI (issue 15, items 4 and 5): `agent --ui pick`
//! walks a picker through the work queue, `agent --ui pack` checks orders
//! at a packing station, on an 80x25 terminal, while the journal and the
//! publisher run as they do for scan lines.
//!
//! Map: [`keys`] turns key presses into session inputs (characters until
//! Enter are one line, as a keyboard-wedge scanner types them; Esc is
//! back); [`station`] builds the pure pick or pack session from the stored
//! queue and what this device already closed; [`terminal`] owns raw mode,
//! the alternate screen and the bell; [`run`] is the loop that ties them
//! to the journal and the publisher.
//!
//! Invariant: a session's `Record` counts only once it is durably
//! journaled, exactly as a scan line's movement; a refused input records
//! nothing and rings the bell.

pub mod keys;
pub mod run;
pub mod scanner;
pub mod station;
pub mod terminal;

#[cfg(test)]
mod station_tests;

pub use run::run_ui;
pub use station::{Station, UiMode};
