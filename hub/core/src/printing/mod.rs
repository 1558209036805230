//! Printing labels (issue 16): label batches, the jobs they become at
//! printer stations, the stations' reports and failover, as a pure state
//! machine. The label itself (ZPL and its PNG preview) is
//! [`crate::labels`]; sealing it, the store and MQTT are the shell's.

mod book;
mod model;

pub use book::PrintBook;
pub use model::{
    BatchProgress, BatchRecord, JobRecord, JobState, JobStep, NewLabel, PrintChanges, PrintEffect,
    PrintError, PrintParts, PrintRules,
};
