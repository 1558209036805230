//! Alerts and exceptions operators must see: stock below its safety
//! threshold, discrepancies between a scan and the pool, picks of another
//! lot than suggested, held stock that physical picks took away, and a
//! device batch that conflicts with what the hub applied under the same
//! (device, epoch, seq). Kept
//! as an append-only list (newest first at `GET /api/v1/alerts`); the
//! dashboard issue will push them live.

use serde::{Deserialize, Serialize};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Available dropped below the SKU's safety threshold.
    BelowSafety,
    /// A scan the pool could not cover (see the discrepancy it names).
    Discrepancy,
    /// A pick for a task took another lot or location than suggested.
    LotDeviation,
    /// Physical movements took stock that reservations hold: available < 0.
    HeldStockShort,
    /// A batch repeats seqs the hub applied with other content (a journal
    /// restored from a backup, a cloned device); it was refused. The SKU
    /// and location are those of the first differing movement received.
    JournalConflict,
    /// An order could not be filled from available stock (a backorder).
    Backorder,
    /// An order has not changed state for longer than the stuck limit.
    StuckOrder,
    /// A picker found fewer units than a pick line asked for.
    ShortPick,
    /// A scan named a task line but could not close it (over-pick, a
    /// short pick without a reason, ...); the movement itself was applied.
    TaskRefused,
    /// A label job needs a person: it failed with no other station to
    /// take it, or may have printed (the SKU field holds `-`, the
    /// location the station).
    LabelJob,
    /// A `ship` scan of a parcel no labelled order has (the SKU field
    /// holds the tracking number scanned, the location the dock).
    ShipRefused,
    /// A return of an order the hub does not know, or of more units than
    /// the order had (the units are on the shelf all the same).
    ReturnMismatch,
    /// An order was cancelled after units were picked for it: put them back.
    PutBack,
}

impl AlertKind {
    /// The snake_case word used in JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::BelowSafety => "below_safety",
            AlertKind::Discrepancy => "discrepancy",
            AlertKind::LotDeviation => "lot_deviation",
            AlertKind::HeldStockShort => "held_stock_short",
            AlertKind::JournalConflict => "journal_conflict",
            AlertKind::Backorder => "backorder",
            AlertKind::StuckOrder => "stuck_order",
            AlertKind::ShortPick => "short_pick",
            AlertKind::TaskRefused => "task_refused",
            AlertKind::LabelJob => "label_job",
            AlertKind::ShipRefused => "ship_refused",
            AlertKind::ReturnMismatch => "return_mismatch",
            AlertKind::PutBack => "put_back",
        }
    }

    /// Parses [`AlertKind::as_str`].
    pub fn parse(word: &str) -> Option<AlertKind> {
        [
            AlertKind::BelowSafety,
            AlertKind::Discrepancy,
            AlertKind::LotDeviation,
            AlertKind::HeldStockShort,
            AlertKind::JournalConflict,
            AlertKind::Backorder,
            AlertKind::StuckOrder,
            AlertKind::ShortPick,
            AlertKind::TaskRefused,
            AlertKind::LabelJob,
            AlertKind::ShipRefused,
            AlertKind::ReturnMismatch,
            AlertKind::PutBack,
        ]
        .into_iter()
        .find(|k| k.as_str() == word)
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The SKU.
    pub sku: String,
    /// The location, when the alert is about one.
    pub location: Option<String>,
    /// What happened, for people.
    pub message: String,
    /// Hub time it was raised, ms since the epoch.
    pub raised_ms: u64,
}

/// Alerts raised since the last commit, with their ids.
#[derive(Debug, Default)]
pub struct AlertLog {
    next_id: u64,
    pending: Vec<(u64, Alert)>,
}

impl AlertLog {
    /// A log whose next id is `next_id`.
    pub fn new(next_id: u64) -> AlertLog {
        AlertLog {
            next_id: next_id.max(1),
            pending: Vec::new(),
        }
    }

    /// Raises an alert.
    pub fn raise(
        &mut self,
        kind: AlertKind,
        sku: &str,
        location: Option<&str>,
        message: String,
        now: u64,
    ) {
        let alert = Alert {
            kind,
            sku: sku.to_string(),
            location: location.map(str::to_string),
            message,
            raised_ms: now,
        };
        self.next_id = self.next_id.max(1);
        self.pending.push((self.next_id, alert));
        self.next_id += 1;
    }

    /// Alerts raised since the last call, and the next id.
    pub fn take_changes(&mut self) -> (Vec<(u64, Alert)>, u64) {
        (std::mem::take(&mut self.pending), self.next_id.max(1))
    }
}
