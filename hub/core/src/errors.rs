//! Why the pool refuses a command from the API. Devices' physical movements
//! are never refused (promise 5); only requests to hold, confirm or release
//! stock, or to change settings, can be, and each refusal says exactly why.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One line of a refused reservation: what was asked and what there is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shortfall {
    /// The SKU.
    pub sku: String,
    /// Quantity requested on this line.
    pub requested: i64,
    /// Available (on hand - reserved) when the request was applied.
    pub available: i64,
    /// How many units are missing (0 when this line alone would fit).
    pub short: i64,
    /// The safety threshold, for SKUs that stop at safety stock.
    pub safety_threshold: Option<i64>,
}

/// A refusal from the single writer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PoolError {
    /// The request breaks a rule (quantity, hold time, ids, ...).
    #[error("{0}")]
    Invalid(String),
    /// A line names a SKU the pool has never seen.
    #[error("unknown SKU(s): {}", .0.join(", "))]
    UnknownSku(Vec<String>),
    /// Not enough available stock for at least one line.
    #[error("insufficient available stock for {} line(s)", short_lines(.0))]
    Insufficient(Vec<Shortfall>),
    /// The hold would take a stop-at-safety SKU below its threshold.
    #[error("reservation would take {} SKU(s) below safety stock", short_lines(.0))]
    BelowSafety(Vec<Shortfall>),
    /// No reservation with this id.
    #[error("no reservation {0}")]
    NotFound(u64),
    /// The reservation is not in a state that allows the action.
    #[error("reservation {id} is {state}; cannot {action}")]
    WrongState {
        /// The reservation.
        id: u64,
        /// Its state.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// No order with this id.
    #[error("no order {0}")]
    OrderNotFound(u64),
    /// No allocation with this id.
    #[error("no allocation {0}")]
    AllocationNotFound(u64),
    /// No customer with this key (a keyed hash, not personal data).
    #[error("no customer {0}")]
    CustomerNotFound(String),
    /// The order is not in a state that allows the action.
    #[error("order {id} is {state}; cannot {action}")]
    OrderWrongState {
        /// The order.
        id: u64,
        /// Its state.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// No open alert with this id (cleared already, or never raised).
    #[error("alert {0} is not open (cleared already, or no such alert)")]
    AlertNotOpen(u64),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key {0:?} was already used for a different request")]
    IdempotencyMismatch(String),
    /// The group could not be made durable; nothing was applied.
    #[error("the store could not commit; nothing was applied, retry")]
    CommitFailed,
    /// A committed order could not be read back from the store (final
    /// orders live there, not in memory); nothing was applied.
    #[error("orders in the store could not be read ({0}); nothing was applied, retry")]
    OrderArchive(String),
    /// The writer is gone (the hub is stopping).
    #[error("the hub is shutting down")]
    Unavailable,
}

fn short_lines(lines: &[Shortfall]) -> usize {
    lines.iter().filter(|l| l.short > 0).count()
}
