//! Alerts operators must see: stock below its safety threshold,
//! discrepancies between a scan and the pool, picks of another lot than
//! suggested, held stock that physical picks took away, a device batch
//! that conflicts with what the hub applied, stuck orders, backorders,
//! printer failures, devices offline with unsynced scans, and more (see
//! [`AlertKind`]).
//!
//! One model for all of them ([`AlertBook`]): an alert is *raised once*
//! per cause (its [`AlertKey`]: kind, SKU, location, subject); raising it
//! again while it is open counts a repeat on the same alert instead of
//! adding a new one. It has a [`Severity`], may be *acknowledged* by an
//! operator (who and when), and is *cleared* when its cause goes: a
//! condition alert ([`AlertKind::clears_itself`]) by the rule that raised
//! it, once the condition no longer holds; an event alert (a discrepancy
//! scanned, a parcel refused) has nothing that can go by itself, so an
//! operator's acknowledgement clears it.

use serde::{Deserialize, Serialize};

mod book;
#[cfg(test)]
mod tests;

pub use book::{AckError, AlertBook};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// A device went offline while it still held scans the hub has not
    /// acknowledged (the subject names the device).
    DeviceOfflineBacklog,
    /// A device's backlog of unacknowledged scans is above the threshold.
    BacklogHigh,
    /// A device's battery is below the threshold.
    LowBattery,
    /// A device's clock differs from the hub's by more than the limit.
    ClockSkew,
    /// Payloads arriving on the site's topics were refused to dead letters
    /// (forged, failed or malformed frames); the subject names the topic's
    /// device segment.
    DeadLetters,
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
            AlertKind::DeviceOfflineBacklog => "device_offline_backlog",
            AlertKind::BacklogHigh => "backlog_high",
            AlertKind::LowBattery => "low_battery",
            AlertKind::ClockSkew => "clock_skew",
            AlertKind::DeadLetters => "dead_letters",
        }
    }

    /// Parses [`AlertKind::as_str`].
    pub fn parse(word: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// How urgent it is.
    pub fn severity(self) -> Severity {
        use AlertKind::*;
        match self {
            JournalConflict | HeldStockShort | DeviceOfflineBacklog | LabelJob => {
                Severity::Critical
            }
            LotDeviation | ShortPick => Severity::Info,
            _ => Severity::Warning,
        }
    }

    /// Whether the hub clears it by itself once its cause goes (a
    /// condition); otherwise (an event) an acknowledgement clears it.
    pub fn clears_itself(self) -> bool {
        use AlertKind::*;
        matches!(
            self,
            BelowSafety
                | HeldStockShort
                | Backorder
                | StuckOrder
                | LabelJob
                | DeviceOfflineBacklog
                | BacklogHigh
                | LowBattery
                | ClockSkew
        )
    }

    /// Every kind.
    pub const ALL: [AlertKind; 18] = [
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
        AlertKind::DeviceOfflineBacklog,
        AlertKind::BacklogHigh,
        AlertKind::LowBattery,
        AlertKind::ClockSkew,
        AlertKind::DeadLetters,
    ];
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Needs a look today.
    Warning,
    /// Needs a person now: stock or scans at risk.
    Critical,
}

impl Severity {
    /// The word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised, no one has acknowledged it.
    Open,
    /// An operator has seen it; its cause is still there.
    Acknowledged,
    /// Its cause went (or, for an event, an operator acknowledged it).
    Cleared,
}

impl AlertState {
    /// The word used in JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Cleared => "cleared",
        }
    }

    /// Parses [`AlertState::as_str`].
    pub fn parse(word: &str) -> Option<AlertState> {
        [
            AlertState::Open,
            AlertState::Acknowledged,
            AlertState::Cleared,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }
}

/// Who acknowledged an alert, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The operator (the token's name).
    pub by: String,
    /// Hub time, ms since the epoch.
    pub at_ms: u64,
}

/// What an alert is about: the same key while open means the same alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    /// Its kind.
    pub kind: AlertKind,
    /// The SKU ("-" when it is not about one).
    pub sku: String,
    /// The location, when it is about one.
    pub location: Option<String>,
    /// What else it is about (`order:17`, `device:hh-1`), or "".
    pub subject: String,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The SKU ("-" when it is not about one).
    pub sku: String,
    /// The location, when the alert is about one.
    pub location: Option<String>,
    /// What happened, for people (the latest raise's words).
    pub message: String,
    /// Hub time it was raised, ms since the epoch.
    pub raised_ms: u64,
    /// What else it is about (`order:17`, `device:hh-1`), or "".
    pub subject: String,
    /// How urgent.
    pub severity: Severity,
    /// Times it was raised again while open.
    pub repeats: u64,
    /// Hub time of the latest raise.
    pub last_ms: u64,
    /// Who acknowledged it, if anyone has.
    pub acked: Option<Ack>,
    /// When its cause went, if it has.
    pub cleared_ms: Option<u64>,
}

impl AlertKey {
    /// The key of an alert about these.
    pub fn new(kind: AlertKind, sku: &str, location: Option<&str>, subject: &str) -> AlertKey {
        AlertKey {
            kind,
            sku: sku.to_string(),
            location: location.map(str::to_string),
            subject: subject.to_string(),
        }
    }
}

impl Alert {
    /// Where it stands.
    pub fn state(&self) -> AlertState {
        match (&self.acked, self.cleared_ms) {
            (_, Some(_)) => AlertState::Cleared,
            (Some(_), None) => AlertState::Acknowledged,
            (None, None) => AlertState::Open,
        }
    }

    /// Its key.
    pub fn key(&self) -> AlertKey {
        AlertKey {
            kind: self.kind,
            sku: self.sku.clone(),
            location: self.location.clone(),
            subject: self.subject.clone(),
        }
    }
}
