//! A movement before the journal has given it a sequence number.
//!
//! Only the journal hands out sequence numbers (so they are unique and
//! strictly increasing); everything else a scan says is gathered here first
//! and checked with the protocol's own rules, so a scan the hub would refuse
//! is refused on the handheld, before anything is written.

use protocol::{Movement, MovementKind, ValidationError};

/// Everything of a [`protocol::Movement`] except its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementDraft {
    /// What happened.
    pub kind: MovementKind,
    /// Stock keeping unit.
    pub sku: String,
    /// Where it happened (the source for putaway and move).
    pub location: String,
    /// Destination, for putaway and move only.
    pub to_location: Option<String>,
    /// Lot or batch number, if the goods carry one.
    pub lot: Option<String>,
    /// Signed quantity; its rule depends on `kind`.
    pub quantity: i64,
    /// Device wall clock at the scan, ms since the Unix epoch.
    pub device_time_ms: u64,
    /// The task (pick list line, count task) this scan fulfils, if any.
    pub task: Option<String>,
}

impl MovementDraft {
    /// A draft with no destination, lot or task.
    pub fn new(kind: MovementKind, sku: &str, location: &str, quantity: i64) -> MovementDraft {
        MovementDraft {
            kind,
            sku: sku.to_string(),
            location: location.to_string(),
            to_location: None,
            lot: None,
            quantity,
            device_time_ms: 0,
            task: None,
        }
    }

    /// The movement this draft becomes under sequence number `seq`.
    pub fn into_movement(self, seq: u64) -> Movement {
        Movement {
            seq,
            kind: self.kind,
            sku: self.sku,
            location: self.location,
            to_location: self.to_location,
            lot: self.lot,
            quantity: self.quantity,
            device_time_ms: self.device_time_ms,
            task: self.task,
        }
    }

    /// Checks the protocol's rules (ids, quantity sign, destination) as the
    /// movement would be checked once numbered.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.clone().into_movement(1).validate()
    }
}

impl From<Movement> for MovementDraft {
    fn from(m: Movement) -> MovementDraft {
        MovementDraft {
            kind: m.kind,
            sku: m.sku,
            location: m.location,
            to_location: m.to_location,
            lot: m.lot,
            quantity: m.quantity,
            device_time_ms: m.device_time_ms,
            task: m.task,
        }
    }
}
