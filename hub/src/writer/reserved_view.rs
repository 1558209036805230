//! Reserved totals per SKU as last written to the store, for readers.
//!
//! `reserved` is derived state (the sum of what active reservations still
//! hold), rebuilt from the stored reservations at start, so it is not
//! stored: that keeps a reservation to one sled insert. The writer
//! publishes the totals a group changed right after it writes the group
//! into the store, the moment its stock and reservations become readable
//! there (durable one flush later), so that on hand and reserved read
//! together always come from the same groups; after a failed group it
//! resets them from the pool reloaded from the store. HTTP handlers read
//! them here. The lock is held only to copy numbers, never across an
//! await.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

/// The published totals.
#[derive(Debug, Default)]
pub struct ReservedView {
    totals: RwLock<HashMap<String, i64>>,
}

impl ReservedView {
    /// Publishes the new totals of the SKUs a committed group changed.
    pub fn publish(&self, changed: &[(String, i64)]) {
        if changed.is_empty() {
            return;
        }
        if let Ok(mut totals) = self.totals.write() {
            for (sku, reserved) in changed {
                if *reserved == 0 {
                    totals.remove(sku);
                } else {
                    totals.insert(sku.clone(), *reserved);
                }
            }
        }
    }

    /// Replaces every total (at start, and after a failed commit reloaded
    /// the pool).
    pub fn reset(&self, all: BTreeMap<String, i64>) {
        if let Ok(mut totals) = self.totals.write() {
            *totals = all.into_iter().collect();
        }
    }

    /// Every non-zero total, sorted by SKU.
    pub fn all(&self) -> BTreeMap<String, i64> {
        self.totals
            .read()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }

    /// The total of one SKU.
    pub fn of(&self, sku: &str) -> i64 {
        self.totals
            .read()
            .ok()
            .and_then(|t| t.get(sku).copied())
            .unwrap_or(0)
    }
}
