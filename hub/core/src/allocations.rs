//! Stock set aside for one sales channel ahead of a promotion (200 units
//! for a live-stream sale): drawn from the same pool, counted as reserved
//! so no other channel can take it, used first by that channel's orders,
//! and returned to the pool when the allocation ends (by an operator, or at
//! its end time).
//!
//! The units an allocation still holds are part of each SKU's `reserved`
//! (derived at load from the active allocations and reservations, as the
//! reserved totals always are); the pool's side is `crate::pool::allocations`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    /// Id, assigned by the writer.
    pub id: u64,
    /// The sales channel it serves (an order's `channel`).
    pub channel: String,
    /// The SKU.
    pub sku: String,
    /// Units set aside at the start.
    pub quantity: i64,
    /// Units still set aside (not yet taken by the channel's orders).
    pub remaining: i64,
    /// Why, for people ("live stream 12.12").
    pub note: String,
    /// When it was made.
    pub created_ms: u64,
    /// When it ends by itself, if set.
    pub ends_ms: Option<u64>,
    /// When it ended (its remaining units went back to the pool).
    pub ended_ms: Option<u64>,
}

impl Allocation {
    /// Whether it still holds units for its channel.
    pub fn is_active(&self) -> bool {
        self.ended_ms.is_none()
    }
}

/// What an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllocationRequest {
    /// The channel.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub channel: String,
    /// The SKU.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub sku: String,
    /// Units to set aside.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub quantity: i64,
    /// When it ends by itself, ms since the epoch; in the future (else
    /// 400).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 18_446_744_073_709_551_615_u64))]
    pub ends_ms: Option<u64>,
    /// Why.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200, default = ""))]
    pub note: String,
}

/// Every allocation, with what changed since the last commit.
#[derive(Debug, Default)]
pub struct AllocationBook {
    all: BTreeMap<u64, Allocation>,
    next_id: u64,
    changed: BTreeSet<u64>,
}

impl AllocationBook {
    /// A book of the stored allocations.
    pub fn load(stored: Vec<Allocation>, next_id: u64) -> AllocationBook {
        let mut book = AllocationBook {
            next_id: next_id.max(1),
            ..AllocationBook::default()
        };
        for a in stored {
            book.next_id = book.next_id.max(a.id + 1);
            book.all.insert(a.id, a);
        }
        book
    }

    /// The active ones.
    pub fn active(&self) -> impl Iterator<Item = &Allocation> {
        self.all.values().filter(|a| a.is_active())
    }

    /// Ids of active allocations of `channel` for `sku` with units left,
    /// oldest first.
    pub fn drawable(&self, channel: &str, sku: &str) -> Vec<u64> {
        self.active()
            .filter(|a| a.channel == channel && a.sku == sku && a.remaining > 0)
            .map(|a| a.id)
            .collect()
    }

    /// Active ones whose end time has come.
    pub fn due(&self, now: u64) -> Vec<u64> {
        self.active()
            .filter(|a| a.ends_ms.is_some_and(|t| t <= now))
            .map(|a| a.id)
            .collect()
    }

    /// One allocation.
    pub fn get(&self, id: u64) -> Option<&Allocation> {
        self.all.get(&id)
    }

    /// One allocation, to change; marks it changed.
    pub fn edit(&mut self, id: u64) -> Option<&mut Allocation> {
        let a = self.all.get_mut(&id)?;
        self.changed.insert(id);
        Some(a)
    }

    /// Adds a new allocation under the next id; returns it.
    pub fn create(&mut self, mut a: Allocation) -> Allocation {
        a.id = self.next_id.max(1);
        self.next_id = a.id + 1;
        self.changed.insert(a.id);
        self.all.insert(a.id, a.clone());
        a
    }

    /// Changed allocations since the last call, and the next id.
    pub fn take_changes(&mut self) -> (Vec<Allocation>, u64) {
        let changed = std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|id| self.all.get(&id).cloned())
            .collect();
        (changed, self.next_id.max(1))
    }
}
