//! The pool's side of channel allocations: setting units aside (only from
//! available stock, so an allocation never oversells either), drawing them
//! for the channel's orders, and returning what is left when it ends.
//!
//! Why through `reserved`: units set aside are units no one else may hold,
//! which is exactly what `reserved` means to every availability check. An
//! order of the allocation's channel first moves units from the allocation
//! back to available and then reserves its lines as any order does, in one
//! step of the single writer, so no other command can take them in between;
//! if the order's hold fails, the units go back to the allocation.

use crate::allocations::{Allocation, AllocationRequest};
use crate::errors::{PoolError, Shortfall};
use crate::orders::OrderLine;
use crate::pool::Pool;

/// Units an order drew from allocations: (allocation id, units).
pub type Drawn = Vec<(u64, i64)>;

impl Pool {
    /// Sets units of a SKU aside for a channel, from available stock.
    pub fn allocate(&mut self, req: AllocationRequest, now: u64) -> Result<Allocation, PoolError> {
        let invalid = |m: String| PoolError::Invalid(m);
        protocol::validate::check_id("channel", &req.channel)
            .map_err(|e| invalid(e.to_string()))?;
        protocol::validate::check_id("sku", &req.sku).map_err(|e| invalid(e.to_string()))?;
        if !(1..=protocol::MAX_QUANTITY).contains(&req.quantity) {
            return Err(invalid(format!(
                "quantity must be 1 to {}, got {}",
                protocol::MAX_QUANTITY,
                req.quantity
            )));
        }
        if req.ends_ms.is_some_and(|t| t <= now) {
            return Err(invalid("ends_ms is not in the future".into()));
        }
        if req.note.chars().count() > 200 {
            return Err(invalid("note is limited to 200 characters".into()));
        }
        let Some(level) = self.levels.get(&req.sku) else {
            return Err(PoolError::UnknownSku(vec![req.sku]));
        };
        let available = level.available();
        if req.quantity > available {
            return Err(PoolError::Insufficient(vec![Shortfall {
                sku: req.sku,
                requested: req.quantity,
                available,
                short: req.quantity - available.max(0),
                safety_threshold: None,
            }]));
        }
        self.shift_reserved(&req.sku, req.quantity, now);
        Ok(self.allocations.create(Allocation {
            id: 0,
            channel: req.channel,
            sku: req.sku,
            quantity: req.quantity,
            remaining: req.quantity,
            note: req.note,
            created_ms: now,
            ends_ms: req.ends_ms,
            ended_ms: None,
        }))
    }

    /// Ends an allocation: what it still holds goes back to the pool.
    /// Ending an ended one changes nothing.
    pub fn end_allocation(&mut self, id: u64, now: u64) -> Result<Allocation, PoolError> {
        let a = self
            .allocations
            .get(id)
            .ok_or(PoolError::AllocationNotFound(id))?;
        if !a.is_active() {
            return Ok(a.clone());
        }
        let (sku, remaining) = (a.sku.clone(), a.remaining);
        self.shift_reserved(&sku, -remaining, now);
        let a = self
            .allocations
            .edit(id)
            .ok_or(PoolError::AllocationNotFound(id))?;
        a.remaining = 0;
        a.ended_ms = Some(now);
        Ok(a.clone())
    }

    /// Ends every allocation whose end time has come; returns how many.
    pub fn end_due_allocations(&mut self, now: u64) -> usize {
        let due = self.allocations.due(now);
        for &id in &due {
            let _ = self.end_allocation(id, now);
        }
        due.len()
    }

    /// Every allocation still active.
    pub fn active_allocations(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations.active()
    }

    /// Frees, for an order of `channel`, the units its lines can take from
    /// that channel's allocations (oldest first); returns what was drawn.
    pub(crate) fn draw_for(&mut self, channel: &str, lines: &[OrderLine], now: u64) -> Drawn {
        let mut drawn = Vec::new();
        for line in lines {
            let mut wanted = line.quantity;
            for id in self.allocations.drawable(channel, &line.sku) {
                if wanted == 0 {
                    break;
                }
                let Some(a) = self.allocations.edit(id) else {
                    continue;
                };
                let take = wanted.min(a.remaining);
                a.remaining -= take;
                wanted -= take;
                drawn.push((id, take));
                self.shift_reserved(&line.sku, -take, now);
            }
        }
        drawn
    }

    /// Puts drawn units back into their allocations (the order's hold
    /// failed, so they are still available).
    pub(crate) fn undraw(&mut self, drawn: &Drawn, now: u64) {
        for &(id, take) in drawn {
            let Some(a) = self.allocations.edit(id) else {
                continue;
            };
            a.remaining += take;
            let sku = a.sku.clone();
            self.shift_reserved(&sku, take, now);
        }
    }

    /// Changes a SKU's reserved units by `delta` (positive: set aside).
    fn shift_reserved(&mut self, sku: &str, delta: i64, now: u64) {
        let before = self.available(sku);
        if let Some(level) = self.levels.get_mut(sku) {
            level.reserved += delta;
        }
        self.mark_reserved(sku);
        self.available_changed(sku, before, now);
    }
}
