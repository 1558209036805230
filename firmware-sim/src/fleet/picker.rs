//! What a simulated picker scans: a mode card when the kind changes, a
//! rack label when the location changes, then one carton label (GS1-128:
//! GTIN, lot, a unique serial, a count). Receipts and picks, never picking
//! more than this device itself put at that location, so the stock each
//! device expects is exact and independent of the others.
//!
//! Why it keeps its own expectation: the fleet's verdict compares what the
//! hub holds with what the pickers physically scanned, so a scan recorded
//! twice (a leaked double read) or lost shows up in the stock as well as in
//! the sequence numbers.

use crate::labels::{goods_label, location_label, mode_card};
use protocol::MovementKind;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

/// `(sku, location, lot)` -> on hand.
pub type Expected = BTreeMap<(String, String, String), i64>;

/// One physical scan: the reads it takes and what it does to stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedScan {
    /// Reads in order; the last is the carton.
    pub reads: Vec<String>,
    /// The stock row it moves.
    pub row: (String, String, String),
    /// Signed change to on hand.
    pub delta: i64,
}

/// A picker's view: where the scanner's flow is, and the stock it placed.
#[derive(Debug)]
pub struct Picker {
    device: usize,
    tag: String,
    gtins: Arc<Vec<String>>,
    kind: MovementKind,
    location: Option<String>,
    expected: Expected,
    serial: u64,
}

/// Locations per device.
const SLOTS: u32 = 6;
/// Lots per GTIN.
const LOTS: u32 = 3;

impl Picker {
    /// Device `device` of run `tag`, scanning these GTINs.
    pub fn new(device: usize, tag: &str, gtins: Arc<Vec<String>>) -> Picker {
        Picker {
            device,
            tag: tag.to_string(),
            gtins,
            kind: MovementKind::Pick,
            location: None,
            expected: Expected::new(),
            serial: 0,
        }
    }

    /// The device rebooted: its scanner flow starts over (mode pick, no
    /// location), the stock it placed is still there.
    pub fn power_cycled(&mut self) {
        self.kind = MovementKind::Pick;
        self.location = None;
    }

    /// The next physical scan.
    pub fn plan(&mut self, rng: &mut impl Rng) -> PlannedScan {
        let location = match &self.location {
            Some(l) if rng.random_bool(0.85) => l.clone(),
            _ => format!(
                "F{}-{:04}-{}",
                self.tag,
                self.device,
                rng.random_range(0..SLOTS)
            ),
        };
        let here: Vec<_> = self
            .expected
            .iter()
            .filter(|((_, loc, _), &qty)| *loc == location && qty > 0)
            .map(|(row, &qty)| (row.clone(), qty))
            .collect();
        let (kind, row, qty) = if !here.is_empty() && rng.random_bool(0.4) {
            let (row, on_hand) = here[rng.random_range(0..here.len())].clone();
            (
                MovementKind::Pick,
                row,
                rng.random_range(1..=on_hand.min(3)),
            )
        } else {
            let gtin = self.gtins[rng.random_range(0..self.gtins.len())].clone();
            let lot = format!("L{}", rng.random_range(0..LOTS));
            (
                MovementKind::Receive,
                (gtin, location.clone(), lot),
                rng.random_range(1..=24),
            )
        };
        let mut reads = Vec::new();
        if kind != self.kind {
            reads.push(mode_card(kind));
            self.kind = kind;
        }
        if self.location.as_deref() != Some(location.as_str()) {
            reads.push(location_label(&location));
            self.location = Some(location);
        }
        self.serial += 1;
        let serial = format!("{}S{}", self.device, self.serial);
        let count = u32::try_from(qty).unwrap_or(1);
        reads.push(goods_label(&row.0, &row.2, &serial, count));
        let delta = if kind == MovementKind::Pick {
            -qty
        } else {
            qty
        };
        PlannedScan { reads, row, delta }
    }

    /// The scan was confirmed (recorded once): its effect is expected.
    pub fn confirmed(&mut self, scan: &PlannedScan) {
        *self.expected.entry(scan.row.clone()).or_insert(0) += scan.delta;
    }

    /// The scan's reads were not all taken (the flow may be off): forget
    /// the flow state so the next scan sets mode and location again.
    pub fn unsure(&mut self) {
        self.power_cycled();
    }

    /// The stock this device expects at the hub.
    pub fn expected(&self) -> &Expected {
        &self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn never_picks_more_than_it_placed() {
        let gtins = Arc::new(vec![crate::labels::gtin(1), crate::labels::gtin(2)]);
        let mut picker = Picker::new(3, "t", gtins);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut picks = 0;
        for i in 0..2000 {
            let scan = picker.plan(&mut rng);
            assert!(scan.reads.last().is_some_and(|r| r.starts_with("]C101")));
            picks += usize::from(scan.delta < 0);
            picker.confirmed(&scan);
            if i % 97 == 0 {
                picker.power_cycled();
            }
            assert!(picker.expected().values().all(|&q| q >= 0));
        }
        assert!(picks > 200, "picks happen: {picks}");
    }
}
