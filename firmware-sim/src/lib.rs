//! Simulated handheld hardware and a fleet of simulated handhelds.
//!
//! * [`scanner`]: `firmware-sim scanner`, a barcode engine on a
//!   pseudo-terminal ([`pty`]) playing a script ([`engine`]), so the
//!   agent's real serial path (`agent --scanner`) runs in tests.
//! * [`fleet`]: `firmware-sim fleet`, N handhelds in one process built
//!   from the agent's library, against a real hub over MQTT, with seeded
//!   faults, ending in a verdict read from the hub's HTTP API.
//! * [`memory_engine`]: the engine the fleet's handhelds scan with;
//!   [`labels`]: the GS1, rack and mode labels they scan.
//!
//! Never depends on the hub crate: it meets the hub only over the network.

pub mod engine;
pub mod fleet;
pub mod labels;
pub mod memory_engine;
pub mod printer;
pub mod pty;
pub mod scanner;
