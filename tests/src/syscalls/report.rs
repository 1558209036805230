//! What the sync audit reports: each confirmation it judged, each one
//! written while changes were unsynced (with the files), and the counts a
//! test asserts on so that an empty trace cannot pass.
//!
//! Why it exists apart from the auditor: these are the types tests read;
//! the auditor's state machine stays private.

use super::confirm::{Confirmation, Kind};
use std::fmt;

/// A change not yet synced when a confirmation was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsynced {
    /// The file or directory.
    pub path: String,
    /// `written` (data) or `entries changed` (a directory).
    pub what: &'static str,
    /// Line of the oldest change not synced.
    pub since_line: usize,
}

/// A confirmation written before what it promises was synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The confirmation.
    pub confirmation: Confirmation,
    /// What was not synced yet.
    pub unsynced: Vec<Unsynced>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.confirmation;
        write!(
            f,
            "line {}: {} `{}` while unsynced:",
            c.line + 1,
            c.kind.name(),
            c.what
        )?;
        for u in &self.unsynced {
            write!(
                f,
                " {} ({} since line {})",
                u.path,
                u.what,
                u.since_line + 1
            )?;
        }
        Ok(())
    }
}

/// The verdict on one trace.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// Every confirmation, in order.
    pub confirmations: Vec<Confirmation>,
    /// Those written with changes unsynced.
    pub violations: Vec<Violation>,
    /// Writes to data files.
    pub data_writes: usize,
    /// fsync/fdatasync calls on data files or directories that returned 0.
    pub data_syncs: usize,
    /// sync_file_range calls on data files (not syncs).
    pub sync_file_ranges: usize,
    /// Lines read.
    pub lines: usize,
    /// Lines that were not system calls.
    pub unparsed: usize,
}

impl Audit {
    /// Confirmations of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.confirmations.iter().filter(|c| c.kind == kind).count()
    }

    /// Violations of `kind`.
    pub fn violations_of(&self, kind: Kind) -> usize {
        let of_kind = |v: &&Violation| v.confirmation.kind == kind;
        self.violations.iter().filter(of_kind).count()
    }

    /// One line per kind: confirmations seen and violations.
    pub fn summary(&self) -> String {
        let kinds: Vec<String> = Kind::ALL
            .iter()
            .filter(|k| self.count(**k) > 0)
            .map(|k| {
                format!(
                    "{}: {} seen, {} unsynced",
                    k.name(),
                    self.count(*k),
                    self.violations_of(*k)
                )
            })
            .collect();
        format!(
            "{} ({} data writes, {} fsync/fdatasync, {} sync_file_range, {} lines, {} not calls)",
            kinds.join("; "),
            self.data_writes,
            self.data_syncs,
            self.sync_file_ranges,
            self.lines,
            self.unparsed
        )
    }
}
