//! Available stock per SKU and per location, live from the writer.
//!
//! Holds are per SKU: a held reservation promises units of the SKU, not of
//! a shelf. Once confirmed, it is allocated to cells (FEFO), and those
//! units are no longer free at their location. So per SKU, available =
//! on hand - reserved; per location, available = on hand - allocated.

use crate::pool::Pool;
use serde::Serialize;
use std::collections::BTreeMap;

/// One location of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationAvailability {
    /// The location.
    pub location: String,
    /// On hand there, all lots.
    pub on_hand: i64,
    /// Allocated to confirmed reservations and not yet picked.
    pub allocated: i64,
    /// on_hand - allocated.
    pub available: i64,
}

/// A SKU's availability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Availability {
    /// The SKU.
    pub sku: String,
    /// On hand, all locations.
    pub on_hand: i64,
    /// Held and allocated by active reservations and channel allocations.
    pub reserved: i64,
    /// on_hand - reserved - quarantined: what a new hold can take.
    pub available: i64,
    /// Per location, sorted.
    pub locations: Vec<LocationAvailability>,
}

impl Pool {
    /// The availability of a SKU, if the pool knows it.
    pub fn availability(&self, sku: &str) -> Option<Availability> {
        let level = self.levels.get(sku)?;
        let mut allocated: BTreeMap<&str, i64> = BTreeMap::new();
        for (key, units) in self.allocated.iter().filter(|(k, _)| k.sku == sku) {
            *allocated.entry(key.location.as_str()).or_insert(0) += units;
        }
        let mut locations: BTreeMap<&str, (i64, i64)> = level
            .by_location
            .iter()
            .filter(|(_, &q)| q != 0)
            .map(|(l, &q)| (l.as_str(), (q, 0)))
            .collect();
        for (location, units) in allocated {
            locations.entry(location).or_insert((0, 0)).1 = units;
        }
        Some(Availability {
            sku: sku.to_string(),
            on_hand: level.on_hand,
            reserved: level.reserved,
            available: level.available(),
            locations: locations
                .into_iter()
                .map(|(location, (on_hand, allocated))| LocationAvailability {
                    location: location.to_string(),
                    on_hand,
                    allocated,
                    // Quarantined stock is counted, never available.
                    available: if crate::pool::is_quarantine(location) {
                        0
                    } else {
                        on_hand - allocated
                    },
                })
                .collect(),
        })
    }
}
