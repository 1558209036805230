//! Lots and pick suggestions: first-expiring first out (FEFO), then first
//! received first out (FIFO) where a lot has no expiry.
//!
//! A lot's expiry travels in its id until GS1 scans bring it separately:
//! a lot id ending in `@YYYY-MM-DD` expires that day (`L42@2027-01-31`).
//! The hub remembers the order in which it first saw each lot of a SKU,
//! which is the FIFO order. Suggestions are advice: a pick of another lot
//! is applied as scanned and noted as a lot deviation, never refused.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// When and in what order the hub first saw a lot of a SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotInfo {
    /// Hub time of the first movement naming it.
    pub first_seen_ms: u64,
    /// Position in the order lots were first seen (FIFO rank).
    pub order: u64,
}

/// One suggested pick: take `quantity` of `lot` at `location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LotPick))]
pub struct Allocation {
    /// The SKU.
    pub sku: String,
    /// Where to pick.
    pub location: String,
    /// Which lot ("" for goods without one).
    pub lot: String,
    /// The lot's expiry, `YYYY-MM-DD`, if it has one.
    pub expiry: Option<String>,
    /// Units to take.
    pub quantity: i64,
    /// Units picked against this suggestion so far.
    pub picked: i64,
}

impl Allocation {
    /// The stock key it points at.
    pub fn key(&self) -> crate::events::StockKey {
        crate::events::StockKey {
            sku: self.sku.clone(),
            location: self.location.clone(),
            lot: self.lot.clone(),
        }
    }

    /// Units still to pick.
    pub fn remaining(&self) -> i64 {
        (self.quantity - self.picked).max(0)
    }
}

/// The expiry day carried in a lot id, as (`YYYYMMDD`, `YYYY-MM-DD`).
pub fn parse_expiry(lot: &str) -> Option<(u32, String)> {
    let (_, date) = lot.rsplit_once('@')?;
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = (num(&date[0..4])?, num(&date[5..7])?, num(&date[8..10])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((y * 10_000 + m * 100 + d, date.to_string()))
}

/// Every lot the hub has seen, per SKU.
#[derive(Debug, Default)]
pub struct LotBook {
    lots: HashMap<String, HashMap<String, LotInfo>>,
    next_order: u64,
    dirty: Vec<(String, String, LotInfo)>,
}

impl LotBook {
    /// A book over stored lots.
    pub fn load(stored: impl IntoIterator<Item = (String, String, LotInfo)>) -> LotBook {
        let mut book = LotBook::default();
        for (sku, lot, info) in stored {
            book.next_order = book.next_order.max(info.order + 1);
            book.lots.entry(sku).or_default().insert(lot, info);
        }
        book
    }

    /// Notes a lot named by a movement (first sighting only).
    pub fn note(&mut self, sku: &str, lot: &str, now: u64) {
        if lot.is_empty() || self.lots.get(sku).is_some_and(|l| l.contains_key(lot)) {
            return;
        }
        let info = LotInfo {
            first_seen_ms: now,
            order: self.next_order,
        };
        self.next_order += 1;
        self.lots
            .entry(sku.to_string())
            .or_default()
            .insert(lot.to_string(), info);
        self.dirty.push((sku.to_string(), lot.to_string(), info));
    }

    /// The lots of a SKU.
    pub fn lots_of(&self, sku: &str) -> impl Iterator<Item = (&String, &LotInfo)> {
        self.lots.get(sku).into_iter().flat_map(|m| m.iter())
    }

    /// Lots first seen since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, String, LotInfo)> {
        std::mem::take(&mut self.dirty)
    }
}

/// A pickable quantity of one SKU at one location and lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Location.
    pub location: String,
    /// Lot ("" when none).
    pub lot: String,
    /// Units free to suggest.
    pub free: i64,
    /// FIFO rank of the lot (u64::MAX when unknown or no lot).
    pub order: u64,
}

/// FEFO, then FIFO, then location order: which cells to pick `quantity`
/// from. Takes what there is; the result may cover less than asked.
pub fn suggest(sku: &str, mut cells: Vec<Cell>, quantity: i64) -> Vec<Allocation> {
    cells.retain(|c| c.free > 0);
    cells.sort_by_cached_key(|c| {
        let expiry = parse_expiry(&c.lot).map_or(u32::MAX, |(day, _)| day);
        (expiry, c.order, c.location.clone(), c.lot.clone())
    });
    let mut left = quantity;
    let mut out = Vec::new();
    for c in cells {
        if left <= 0 {
            break;
        }
        let take = c.free.min(left);
        left -= take;
        out.push(Allocation {
            sku: sku.to_string(),
            expiry: parse_expiry(&c.lot).map(|(_, s)| s),
            location: c.location,
            lot: c.lot,
            quantity: take,
            picked: 0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(location: &str, lot: &str, free: i64, order: u64) -> Cell {
        Cell {
            location: location.into(),
            lot: lot.into(),
            free,
            order,
        }
    }

    #[test]
    fn expiry_is_read_from_the_lot_id() {
        let cases = [
            ("L1@2027-01-31", Some(20270131)),
            ("L1@2027-13-01", None),
            ("L1@27-01-31", None),
            ("L1", None),
            ("@2026-02-03", Some(20260203)),
        ];
        for (lot, want) in cases {
            assert_eq!(parse_expiry(lot).map(|(d, _)| d), want, "{lot}");
        }
    }

    #[test]
    fn fefo_then_fifo_then_no_lot() {
        let cells = vec![
            cell("A", "", 10, u64::MAX),
            cell("B", "old", 3, 0),
            cell("C", "x@2027-05-01", 4, 2),
            cell("D", "y@2027-03-01", 2, 3),
            cell("E", "new", 5, 1),
            cell("F", "empty@2020-01-01", 0, 4),
        ];
        let picks: Vec<(String, i64)> = suggest("S", cells, 12)
            .into_iter()
            .map(|a| (a.location, a.quantity))
            .collect();
        let want = [("D", 2), ("C", 4), ("B", 3), ("E", 3)];
        let want: Vec<(String, i64)> = want.iter().map(|(l, q)| (l.to_string(), *q)).collect();
        assert_eq!(picks, want);
    }
}
