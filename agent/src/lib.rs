//! The handheld agent: confirms a scan only once it is durably journaled,
//! then publishes the journal to the hub until the hub acknowledges it.
//!
//! Map: [`scanline`] turns a typed or scanned line into a [`MovementDraft`];
//! [`journal`] gives it a sequence number and makes it durable in sled
//! (promise 1: the good beep waits on the flush); [`publisher`] sends the
//! unacknowledged journal to the hub over MQTT and trims it on each ack
//! (promise 2), around the pure [`publisher::SendState`] machine.
//! [`scan_session`] ties a line to its one-line answer for the `agent`
//! binary, [`line_input`] reads bounded lines from untrusted input,
//! [`config`] loads the settings, [`logging`] routes the binary's logs and
//! [`bench`] measures durable-record latency against a raw fdatasync;
//! [`backoff`] spaces out the links' reconnects.
//! [`scanner`] is the barcode engine side: the embedded-hal driver, GS1
//! reads turned into drafts, double-read suppression and the serial port
//! of `agent --scanner`. [`tasks`] is the
//! device's work queue: the hub's sealed task lists, stored with the
//! journal, worked offline and acknowledged by version. [`ui`] is the
//! terminal UI of `agent --ui pick|pack` around the [`picking`] sessions.
//!
//! Invariants: a sequence number is never reused, even after a restart with
//! an empty journal; an entry leaves the journal only after the hub's ack
//! covers it; the broker's queues are never relied on (everything
//! unacknowledged is resent from the journal on every reconnect).

pub mod backoff;
pub mod bench;
pub mod config;
pub mod credentials;
pub mod draft;
pub mod journal;
pub mod line_input;
pub mod logging;
pub mod picking;
pub mod printer;
pub mod publisher;
pub mod scan_session;
pub mod scanline;
pub mod scanner;
pub mod station;
pub mod tasks;
pub mod ui;

pub use config::{AgentConfig, ConfigError, ConfigOverrides};
pub use credentials::{load_secrets, CredentialsError, DeviceSecrets};
pub use draft::MovementDraft;
pub use journal::{Journal, JournalError};
pub use publisher::{
    run_publisher, BatchRange, LinkState, PublisherConfig, PublisherError, PublisherHandle,
    SendSettings, SendState,
};
pub use scan_session::{ScanAnswer, ScanSession};
pub use scanline::{parse_scan_line, ScanLineError};
pub use tasks::{TaskQueue, TaskQueueError};

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
