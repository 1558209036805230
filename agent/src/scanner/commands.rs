//! The serial command set between a handheld and its barcode engine, as
//! the simulated engine in `firmware-sim` speaks it.
//!
//! Why commands on the UART at all: on handhelds whose trigger and beeper
//! are wired to the engine rather than to a GPIO, the host drives them by
//! commands (the `SYN T CR` / `SYN U CR` trigger pair is the common form).
//! Each command is `SYN` (0x16), a short word and `CR`, which no barcode
//! read ever starts with, so the engine can tell them from noise.

/// Start of every command.
pub const SYN: u8 = 0x16;
/// Sent once after opening the port: AIM symbology identifiers on, CR after
/// every read.
pub const CONFIGURE: &[u8] = b"\x16AIM1\r";
/// Trigger pressed: the engine starts decoding.
pub const TRIGGER_ON: &[u8] = b"\x16T\r";
/// Trigger released.
pub const TRIGGER_OFF: &[u8] = b"\x16U\r";
/// Beeper (or LED) on.
pub const BEEPER_ON: &[u8] = b"\x16B1\r";
/// Beeper (or LED) off.
pub const BEEPER_OFF: &[u8] = b"\x16B0\r";
