//! The access audit: every time personal data is decrypted (an operator
//! reading a customer, a label printed) or a customer's record is merged,
//! split or archived, one entry says who, when, why and which order.
//! Append-only; the entry itself holds no personal data.

use serde::{Deserialize, Serialize};

/// One audited access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, hub time, ms since the epoch.
    pub at_ms: u64,
    /// Who: the API token's name, or the hub's own part (`label-printer`).
    pub who: String,
    /// What: `read_customer`, `archive_customer`, ...
    pub action: String,
    /// Why, as stated by the caller.
    pub reason: String,
    /// The order, when it is about one.
    pub order: Option<u64>,
    /// The customer's keyed hash, when it is about one.
    pub customer: Option<String>,
}

/// Entries appended since the last commit, with their ids.
#[derive(Debug, Default)]
pub struct AuditLog {
    next_id: u64,
    pending: Vec<(u64, AuditEntry)>,
}

impl AuditLog {
    /// A log whose next entry gets `next_id`.
    pub fn new(next_id: u64) -> AuditLog {
        AuditLog {
            next_id: next_id.max(1),
            pending: Vec::new(),
        }
    }

    /// Appends an entry; returns its id.
    pub fn append(&mut self, entry: AuditEntry) -> u64 {
        let id = self.next_id.max(1);
        self.pending.push((id, entry));
        self.next_id = id + 1;
        id
    }

    /// Entries appended since the last call, and the next id.
    pub fn take_changes(&mut self) -> (Vec<(u64, AuditEntry)>, u64) {
        (std::mem::take(&mut self.pending), self.next_id.max(1))
    }
}
