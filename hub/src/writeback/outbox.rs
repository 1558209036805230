//! The write-back outbox: which shipments still owe their platform a
//! tracking number, and when to try each again. Pure and deterministic: no
//! I/O, no clock (time comes in as `now` in milliseconds), no randomness
//! (the jitter comes from the order id), so the hub stores its entries
//! ([`Pending`] is serde) and a test or the simulator replays it exactly.
//!
//! Rules:
//! * one entry per order: adding the same order and tracking number again
//!   changes nothing; a new tracking number for the order (a label printed
//!   again with a new waybill) replaces the entry and is due at once;
//! * a success, or [`WritebackError::AlreadyShipped`], removes the entry;
//! * a retryable failure waits `1 s * 2^(attempts-1)`, at most 15 min, less
//!   up to a quarter from the order id's jitter, and is retried forever;
//! * any other failure parks the entry with its error: it stays visible
//!   ([`Outbox::parked`]) and is not retried until [`Outbox::retry_now`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Shipment, WritebackError};

/// The first retry's delay.
pub const FIRST_DELAY_MS: u64 = 1_000;
/// The longest delay between two attempts.
pub const MAX_DELAY_MS: u64 = 15 * 60 * 1_000;

/// One shipment still owed to its platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The hub's order id.
    pub order: u64,
    /// What to tell the platform.
    pub shipment: Shipment,
    /// Failed attempts so far (since it was added or last retried by hand).
    pub attempts: u32,
    /// When it is due, in milliseconds (the caller's clock).
    pub next_at_ms: u64,
    /// The last failure, for people to read (no customer data in it).
    pub last_error: Option<String>,
    /// Parked after a failure that is not worth retrying by itself.
    #[serde(default)]
    pub parked: bool,
}

/// What [`Outbox::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new entry, due now.
    New,
    /// The same order and tracking number were already there: unchanged.
    Unchanged,
    /// The order's entry had another tracking number: replaced, due now.
    Replaced,
    /// The order's platform takes no write-back (`own`, `csv`): nothing kept.
    NotNeeded,
}

/// The pending write-backs, one per order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    entries: BTreeMap<u64, Pending>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// The outbox holding `entries` (as stored); a later entry for an order
    /// replaces an earlier one.
    pub fn from_entries(entries: impl IntoIterator<Item = Pending>) -> Self {
        Self {
            entries: entries.into_iter().map(|p| (p.order, p)).collect(),
        }
    }

    /// Owes `shipment` for `order` from `now` on (see [`Added`]).
    pub fn add(&mut self, order: u64, shipment: Shipment, now: u64) -> Added {
        if !shipment.needs_writeback() {
            return Added::NotNeeded;
        }
        let fresh = Pending {
            order,
            shipment,
            attempts: 0,
            next_at_ms: now,
            last_error: None,
            parked: false,
        };
        match self.entries.get_mut(&order) {
            Some(held) if held.shipment == fresh.shipment => Added::Unchanged,
            Some(held) => {
                *held = fresh;
                Added::Replaced
            }
            None => {
                self.entries.insert(order, fresh);
                Added::New
            }
        }
    }

    /// The entries due at `now` (not parked, `next_at_ms <= now`), the
    /// longest waiting first.
    pub fn due(&self, now: u64) -> Vec<Pending> {
        let mut due: Vec<Pending> = self
            .entries
            .values()
            .filter(|p| !p.parked && p.next_at_ms <= now)
            .cloned()
            .collect();
        due.sort_by_key(|p| (p.next_at_ms, p.order));
        due
    }

    /// The platform acknowledged `order`'s shipment: it is no longer owed.
    /// Returns whether there was an entry.
    pub fn succeeded(&mut self, order: u64) -> bool {
        self.entries.remove(&order).is_some()
    }

    /// An attempt for `order` failed with `error` at `now`: backed off,
    /// parked, or (for [`WritebackError::AlreadyShipped`]) done.
    pub fn failed(&mut self, order: u64, error: &WritebackError, now: u64) {
        if error.acknowledged() {
            self.succeeded(order);
            return;
        }
        let Some(entry) = self.entries.get_mut(&order) else {
            return;
        };
        entry.attempts = entry.attempts.saturating_add(1);
        entry.last_error = Some(error.to_string());
        if error.retryable() {
            entry.next_at_ms = now.saturating_add(backoff_ms(entry.attempts, order));
        } else {
            entry.parked = true;
        }
    }

    /// The outcome of one attempt, whichever it was.
    pub fn record(&mut self, order: u64, outcome: &Result<(), WritebackError>, now: u64) {
        match outcome {
            Ok(()) => {
                self.succeeded(order);
            }
            Err(error) => self.failed(order, error, now),
        }
    }

    /// Unparks `order` (a person fixed the cause) and makes it due at
    /// `now` with a fresh backoff. Returns whether there was an entry.
    pub fn retry_now(&mut self, order: u64, now: u64) -> bool {
        let Some(entry) = self.entries.get_mut(&order) else {
            return false;
        };
        entry.parked = false;
        entry.attempts = 0;
        entry.next_at_ms = now;
        true
    }

    /// The parked entries, by order id.
    pub fn parked(&self) -> Vec<Pending> {
        self.entries
            .values()
            .filter(|p| p.parked)
            .cloned()
            .collect()
    }

    /// The entry for `order`, if any.
    pub fn get(&self, order: u64) -> Option<&Pending> {
        self.entries.get(&order)
    }

    /// Every entry, by order id (what the hub stores).
    pub fn entries(&self) -> impl Iterator<Item = &Pending> {
        self.entries.values()
    }

    /// How many shipments are owed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The wait after failed attempt `attempts` (1-based) of `order`:
/// `FIRST_DELAY_MS * 2^(attempts-1)` capped at [`MAX_DELAY_MS`], less a
/// jitter of up to a quarter drawn from the order id and the attempt, so
/// orders that failed together (a platform outage) spread out on return.
pub fn backoff_ms(attempts: u32, order: u64) -> u64 {
    backoff_capped_ms(attempts, order, MAX_DELAY_MS)
}

/// [`backoff_ms`] with the longest delay `max_ms` (the webhooks wait at
/// most 5 min), the jitter drawn from `seed`.
pub fn backoff_capped_ms(attempts: u32, seed: u64, max_ms: u64) -> u64 {
    let doublings = attempts.saturating_sub(1).min(20);
    let base = FIRST_DELAY_MS.saturating_mul(1u64 << doublings).min(max_ms);
    let jitter = mix(seed ^ u64::from(attempts).rotate_left(32)) % (base / 4 + 1);
    base - jitter
}

/// SplitMix64's finaliser: a well-spread 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
