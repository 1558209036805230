//! The pool's side of reservations: the availability check, holding and
//! returning stock, confirmation with FEFO allocations, picks that consume
//! an allocation, and the sweep that expires holds.
//!
//! Why available never goes below zero through the API: the only command
//! that lowers available is [`Pool::reserve`], and it adds a line's
//! quantity to `reserved` only after checking `quantity <= available`
//! (`<= available - threshold` for stop-at-safety SKUs), all lines or none,
//! on the writer's single copy of the state. Confirm moves no quantity;
//! release, expiry and picks with the allocation's task only lower
//! `reserved`. Physical movements may still drive it below zero; they are
//! facts, recorded as discrepancies and alerts, never refused.

use crate::alerts::AlertKind;
use crate::errors::{PoolError, Shortfall};
use crate::lots::{suggest, Allocation, Cell};
use crate::pool::{Pool, StockKey};
use crate::reservations::{
    fingerprint, Reservation, ReservationLine, ReservationState, ReserveRequest, SharedReservation,
};
use protocol::Movement;

/// What a reserve command came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// A new hold.
    New(SharedReservation),
    /// A retry of an active reservation.
    Existing(SharedReservation),
    /// A retry of a reservation no longer active: read it from the store.
    Stored(u64),
}

impl Pool {
    /// Holds every line or none.
    pub fn reserve(&mut self, req: &ReserveRequest, now: u64) -> Result<Reserved, PoolError> {
        req.validate()?;
        self.sweep(now);
        let lines = req.merged_lines();
        let fp = fingerprint(&req.order_ref, &lines);
        if let Some((id, known)) = self.book.by_key(req.key()) {
            if known != fp {
                return Err(PoolError::IdempotencyMismatch(req.key().to_string()));
            }
            return Ok(match self.book.get(id) {
                Some(r) => Reserved::Existing(r.clone()),
                None => Reserved::Stored(id),
            });
        }
        if let Err(refusal) = self.check_lines(&lines) {
            self.counts.refused += u64::from(matches!(
                refusal,
                PoolError::Insufficient(_) | PoolError::BelowSafety(_)
            ));
            return Err(refusal);
        }
        self.counts.held += 1;
        for line in &lines {
            let before = self.available(&line.sku);
            if let Some(level) = self.levels.get_mut(&line.sku) {
                level.reserved += line.quantity;
            }
            self.mark_reserved(&line.sku);
            self.available_changed(&line.sku, before, now);
        }
        let r = Reservation {
            id: 0,
            order_ref: req.order_ref.clone(),
            idempotency_key: req.key().to_string(),
            lines,
            state: ReservationState::Held,
            created_ms: now,
            expires_ms: now + req.hold_ms,
            updated_ms: now,
            task: None,
            allocations: Vec::new(),
        };
        Ok(Reserved::New(self.book.create(r, fp)))
    }

    pub(crate) fn mark_reserved(&mut self, sku: &str) {
        if !self.dirty_reserved.contains(sku) {
            self.dirty_reserved.insert(sku.to_string());
        }
    }

    fn check_lines(&self, lines: &[ReservationLine]) -> Result<(), PoolError> {
        let unknown: Vec<String> = lines
            .iter()
            .filter(|l| !self.levels.contains_key(&l.sku))
            .map(|l| l.sku.clone())
            .collect();
        if !unknown.is_empty() {
            return Err(PoolError::UnknownSku(unknown));
        }
        let (mut stock_short, mut safety_short) = (false, false);
        let mut shortfalls = Vec::with_capacity(lines.len());
        for line in lines {
            let available = self.available(&line.sku);
            let rule = self.safety.rule(&line.sku).filter(|r| r.stop_at_safety);
            let floor = rule.map_or(0, |r| r.threshold);
            let short = (line.quantity - (available - floor)).max(0);
            stock_short |= line.quantity > available;
            safety_short |= short > 0;
            shortfalls.push(Shortfall {
                sku: line.sku.clone(),
                requested: line.quantity,
                available,
                short,
                safety_threshold: rule.map(|r| r.threshold),
            });
        }
        if stock_short {
            Err(PoolError::Insufficient(shortfalls))
        } else if safety_short {
            Err(PoolError::BelowSafety(shortfalls))
        } else {
            Ok(())
        }
    }

    /// Turns a hold into the allocation of pick task `res-{id}`, with FEFO
    /// pick suggestions. Confirming a confirmed reservation changes nothing.
    /// `NotFound` when it is not active (the writer tells why).
    pub fn confirm(&mut self, id: u64, now: u64) -> Result<SharedReservation, PoolError> {
        self.sweep(now);
        let r = self.book.get(id).ok_or(PoolError::NotFound(id))?;
        if r.state == ReservationState::Confirmed {
            return Ok(r.clone());
        }
        let old_expiry = r.expires_ms;
        let wanted: Vec<(String, i64)> = r
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.outstanding()))
            .collect();
        let allocations: Vec<Allocation> = wanted
            .iter()
            .flat_map(|(sku, q)| self.suggest_for(sku, *q))
            .collect();
        self.book_allocations(&allocations, 1);
        let r = self.book.edit(id).ok_or(PoolError::NotFound(id))?;
        r.state = ReservationState::Confirmed;
        r.task = Some(format!("res-{id}"));
        r.allocations = allocations;
        r.updated_ms = now;
        self.book.confirmed(id, old_expiry);
        self.book.get(id).cloned().ok_or(PoolError::NotFound(id))
    }

    /// Releases an active reservation, returning what it still holds.
    pub fn release(&mut self, id: u64, now: u64) -> Result<SharedReservation, PoolError> {
        self.sweep(now);
        self.end(id, ReservationState::Released, now)
            .ok_or(PoolError::NotFound(id))
    }

    /// Expires every hold due at `now`; returns how many.
    pub fn sweep(&mut self, now: u64) -> usize {
        let due = self.book.due(now);
        for &id in &due {
            self.end(id, ReservationState::Expired, now);
            self.order_hold_ended(id, now);
        }
        self.counts.expired += due.len() as u64;
        due.len()
    }

    /// The earliest hold expiry, for the sweeper.
    pub fn next_expiry(&self) -> Option<u64> {
        self.book.next_expiry()
    }

    /// Forgets the idempotency keys and the records of reservations that
    /// ended at least the retention before `now`; returns how many (keys,
    /// records). Keys go from memory only (the rebuild at load forgets the
    /// same ones again); the records' ids go to the next group commit,
    /// which removes them from the store ([`crate::changes::Changes`]).
    pub fn prune_keys(&mut self, now: u64) -> (usize, usize) {
        self.book.prune(now)
    }

    /// Sets how long a key is honoured after its reservation ends.
    pub fn set_key_retention(&mut self, retention_ms: u64) {
        self.book.keys.set_retention(retention_ms);
    }

    /// Ended reservations whose records are still kept.
    pub fn ended_reservations(&self) -> usize {
        self.book.ended_len()
    }

    /// Idempotency keys currently honoured.
    pub fn honoured_keys(&self) -> usize {
        self.book.keys.len()
    }

    fn end(&mut self, id: u64, state: ReservationState, now: u64) -> Option<SharedReservation> {
        let r = self.book.finish(id, state, now)?;
        self.book_allocations(&r.allocations, -1);
        for line in &r.lines {
            let outstanding = line.outstanding();
            if outstanding == 0 {
                continue;
            }
            let before = self.available(&line.sku);
            if let Some(level) = self.levels.get_mut(&line.sku) {
                level.reserved -= outstanding;
            }
            self.mark_reserved(&line.sku);
            self.available_changed(&line.sku, before, now);
        }
        Some(r)
    }

    /// FEFO suggestions for picking `quantity` of `sku` now.
    pub fn pick_suggestions(&self, sku: &str, quantity: i64) -> Result<Vec<Allocation>, PoolError> {
        if !self.levels.contains_key(sku) {
            return Err(PoolError::UnknownSku(vec![sku.to_string()]));
        }
        Ok(self.suggest_for(sku, quantity))
    }

    /// Suggestions over on-hand minus what confirmed reservations were
    /// already told to pick and have not picked yet.
    fn suggest_for(&self, sku: &str, quantity: i64) -> Vec<Allocation> {
        let Some(level) = self.levels.get(sku) else {
            return Vec::new();
        };
        let lots: Vec<(&str, u64)> = std::iter::once(("", u64::MAX))
            .chain(self.lots.lots_of(sku).map(|(l, i)| (l.as_str(), i.order)))
            .collect();
        let mut cells = Vec::new();
        let pickable = |(location, &q): &(&String, &i64)| q > 0 && !super::is_quarantine(location);
        for (location, _) in level.by_location.iter().filter(pickable) {
            for &(lot, order) in &lots {
                let key = StockKey {
                    sku: sku.to_string(),
                    location: location.clone(),
                    lot: lot.to_string(),
                };
                let free = self.on_hand(&key) - self.allocated(&key);
                if free > 0 {
                    cells.push(Cell {
                        location: location.clone(),
                        lot: lot.to_string(),
                        free,
                        order,
                    });
                }
            }
        }
        suggest(sku, cells, quantity)
    }

    fn allocated(&self, key: &StockKey) -> i64 {
        self.allocated.get(key).copied().unwrap_or(0)
    }

    /// Adds (`sign` 1) or removes (-1) what allocations still have to pick.
    fn book_allocations(&mut self, allocations: &[Allocation], sign: i64) {
        for a in allocations {
            let left = a.remaining() * sign;
            if left == 0 {
                continue;
            }
            let key = a.key();
            let total = self.allocated.get(&key).copied().unwrap_or(0) + left;
            if total == 0 {
                self.allocated.remove(&key);
            } else {
                self.allocated.insert(key, total);
            }
        }
    }

    /// A pick carrying task `task`: consumes that allocation's line.
    pub(crate) fn task_pick(&mut self, task: &str, m: &Movement, now: u64) {
        let Some(id) = self.book.by_task(task) else {
            return;
        };
        let Some(r) = self.book.edit(id) else {
            return;
        };
        let Some(line) = r.lines.iter_mut().find(|l| l.sku == m.sku) else {
            return;
        };
        let consumed = line.outstanding().min(m.quantity);
        line.picked += m.quantity;
        r.updated_ms = now;
        let lot = m.lot.as_deref().unwrap_or("");
        let before = r.allocations.clone();
        let deviation = consume_allocations(&mut r.allocations, m, lot);
        let after = r.allocations.clone();
        let done = r.lines.iter().all(|l| l.outstanding() == 0);
        self.book_allocations(&before, -1);
        self.book_allocations(&after, 1);
        if let Some(level) = self.levels.get_mut(&m.sku) {
            level.reserved -= consumed;
        }
        self.mark_reserved(&m.sku);
        if let Some(suggested) = deviation {
            let message = format!(
                "task {task} picked lot {lot:?} at {} instead of the suggested {suggested}",
                m.location
            );
            self.alerts.raise(
                AlertKind::LotDeviation,
                &m.sku,
                Some(&m.location),
                message,
                now,
            );
        }
        if done {
            self.end(id, ReservationState::Fulfilled, now);
        }
    }
}

/// Books a pick against the suggestions of its SKU: the matching cell
/// first, then, for what was taken elsewhere, the suggestions in order (they
/// no longer need picking). Returns the suggestions, as text, when the pick
/// took a lot or location that was not suggested.
fn consume_allocations(allocations: &mut [Allocation], m: &Movement, lot: &str) -> Option<String> {
    let mut left = m.quantity;
    let mut matched = false;
    let mut suggested = Vec::new();
    for a in allocations.iter_mut().filter(|a| a.sku == m.sku) {
        suggested.push(format!("{}@{}", a.lot, a.location));
        if a.location == m.location && a.lot == lot {
            matched = true;
            let take = (a.quantity - a.picked).clamp(0, left);
            a.picked += take;
            left -= take;
        }
    }
    for a in allocations.iter_mut().filter(|a| a.sku == m.sku) {
        let take = (a.quantity - a.picked).clamp(0, left);
        a.picked += take;
        left -= take;
    }
    (!matched && !suggested.is_empty()).then(|| suggested.join(", "))
}

#[cfg(test)]
#[path = "reservations_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "retention_tests.rs"]
mod retention_tests;
