//! Reservations: holds on available stock for an order, as plain state.
//!
//! Lifecycle: `held` (counts in `reserved`, expires at `expires_ms`) ->
//! `confirmed` (the stock is being picked: the hold becomes the allocation
//! of pick task `res-{id}`; it no longer expires and stays in `reserved`
//! until picks carrying that task consume it) -> `fulfilled` once every
//! line is picked. `released` (DELETE) and `expired` (the sweeper) return
//! what is still outstanding to the pool. `reserved` for a SKU is always
//! the sum of the outstanding quantities of its active reservations.
//!
//! This module holds the book (what is active, the idempotency index, the
//! expiry queue, the ended ones to prune after the retention);
//! [`crate::pool::Pool`] combines it with stock levels.

pub mod idempotency;
mod request;

use crate::lots::Allocation;
use idempotency::KeyIndex;
pub use request::{RequestLine, ReserveRequest};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A reservation shared between the book, the group's changes and the
/// caller's answer without copying it.
pub type SharedReservation = Arc<Reservation>;

/// Shortest hold a client may ask for.
pub const MIN_HOLD_MS: u64 = 60_000;
/// Longest hold a client may ask for.
pub const MAX_HOLD_MS: u64 = 30 * 60_000;
/// Hold time when the client names none.
pub const DEFAULT_HOLD_MS: u64 = 15 * 60_000;
/// Most lines in one reservation.
pub const MAX_LINES: usize = 200;

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReservationState {
    /// Holding stock until `expires_ms`.
    Held,
    /// Allocated to a pick task; held until picked or released.
    Confirmed,
    /// Released by the client.
    Released,
    /// Expired by the sweeper.
    Expired,
    /// Every line picked.
    Fulfilled,
}

impl ReservationState {
    /// The lowercase word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Held => "held",
            ReservationState::Confirmed => "confirmed",
            ReservationState::Released => "released",
            ReservationState::Expired => "expired",
            ReservationState::Fulfilled => "fulfilled",
        }
    }

    /// Whether it still counts in `reserved`.
    pub fn is_active(self) -> bool {
        matches!(self, ReservationState::Held | ReservationState::Confirmed)
    }
}

/// One SKU of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReservationLine {
    /// The SKU.
    pub sku: String,
    /// Units held.
    pub quantity: i64,
    /// Units picked against it so far.
    pub picked: i64,
}

impl ReservationLine {
    /// Units still held for this line.
    pub fn outstanding(&self) -> i64 {
        (self.quantity - self.picked).max(0)
    }
}

/// A reservation as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reservation {
    /// Id, assigned by the writer.
    pub id: u64,
    /// The order it is for.
    pub order_ref: String,
    /// The key that makes a retried request return this reservation.
    pub idempotency_key: String,
    /// One line per SKU.
    pub lines: Vec<ReservationLine>,
    /// Where it is in its life.
    pub state: ReservationState,
    /// When it was created, ms since the epoch.
    pub created_ms: u64,
    /// When the hold expires (while held).
    pub expires_ms: u64,
    /// When it last changed.
    pub updated_ms: u64,
    /// The pick task picks must carry to consume it (once confirmed).
    pub task: Option<String>,
    /// Pick suggestions (FEFO) made at confirmation.
    pub allocations: Vec<Allocation>,
}

/// A digest of what a request asks for, to tell a retry from a reuse of
/// the key for something else. Recomputed at load, never stored.
pub fn fingerprint(order_ref: &str, lines: &[ReservationLine]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    order_ref.hash(&mut h);
    for l in lines {
        (&l.sku, l.quantity).hash(&mut h);
    }
    h.finish()
}

/// The active reservations and the indexes over them.
#[derive(Debug, Default)]
pub struct ReservationBook {
    active: HashMap<u64, SharedReservation>,
    /// Idempotency key -> (id, fingerprint), while honoured.
    pub(crate) keys: KeyIndex,
    by_task: HashMap<String, u64>,
    /// (expires_ms, id) of held reservations.
    expiries: BTreeSet<(u64, u64)>,
    next_id: u64,
    dirty: Vec<u64>,
    finished: Vec<SharedReservation>,
    /// The first id handed out since the last `take_changes`.
    group_first: u64,
    /// (ended_ms, id) of ended reservations still stored, so their records
    /// can be pruned after the retention (see [`ReservationBook::prune`]).
    ended: BTreeSet<(u64, u64)>,
    /// Ids pruned since the last `take_pruned`, to remove from the store.
    pruned: Vec<u64>,
}

impl ReservationBook {
    /// A book over stored reservations (active or not).
    pub fn load(stored: impl IntoIterator<Item = Reservation>, next_id: u64) -> ReservationBook {
        let mut book = ReservationBook {
            next_id: next_id.max(1),
            ..ReservationBook::default()
        };
        book.group_first = book.next_id;
        for r in stored {
            let fp = fingerprint(&r.order_ref, &r.lines);
            book.keys.insert(&r.idempotency_key, r.id, fp);
            book.next_id = book.next_id.max(r.id + 1);
            if !r.state.is_active() {
                // An ended reservation last changed when it ended.
                book.keys.ended(&r.idempotency_key, r.id, r.updated_ms);
                book.ended.insert((r.updated_ms, r.id));
            } else {
                book.index(&r);
                book.active.insert(r.id, Arc::new(r));
            }
        }
        book
    }

    fn index(&mut self, r: &Reservation) {
        match r.state {
            ReservationState::Held => {
                self.expiries.insert((r.expires_ms, r.id));
            }
            ReservationState::Confirmed => {
                if let Some(task) = &r.task {
                    self.by_task.insert(task.clone(), r.id);
                }
            }
            _ => {}
        }
    }

    /// (id, fingerprint) of the reservation made under `key`, while the
    /// key is honoured (see [`crate::reservations::idempotency`]).
    pub fn by_key(&self, key: &str) -> Option<(u64, u64)> {
        self.keys.get(key)
    }

    /// An active reservation.
    pub fn get(&self, id: u64) -> Option<&SharedReservation> {
        self.active.get(&id)
    }

    /// Every active reservation.
    pub fn active(&self) -> impl Iterator<Item = &Reservation> {
        self.active.values().map(|r| r.as_ref())
    }

    /// The active reservation allocated to pick task `task`.
    pub fn by_task(&self, task: &str) -> Option<u64> {
        self.by_task.get(task).copied()
    }

    /// The id of the next reservation.
    pub fn next_id(&self) -> u64 {
        self.next_id.max(1)
    }

    /// Records a new held reservation and returns it.
    pub fn create(&mut self, mut r: Reservation, fp: u64) -> SharedReservation {
        self.next_id = self.next_id.max(1);
        r.id = self.next_id;
        self.next_id += 1;
        self.keys.insert(&r.idempotency_key, r.id, fp);
        self.index(&r);
        self.dirty.push(r.id);
        let r = Arc::new(r);
        self.active.insert(r.id, r.clone());
        r
    }

    /// Mutable access to an active reservation; marks it for writing.
    pub fn edit(&mut self, id: u64) -> Option<&mut Reservation> {
        let r = self.active.get_mut(&id)?;
        self.dirty.push(id);
        Some(Arc::make_mut(r))
    }

    /// Moves a held reservation to confirmed (already edited by the caller).
    pub fn confirmed(&mut self, id: u64, old_expiry: u64) {
        self.expiries.remove(&(old_expiry, id));
        if let Some(r) = self.active.get(&id).cloned() {
            self.index(&r);
        }
    }

    /// Ends an active reservation in `state` and returns it.
    pub fn finish(
        &mut self,
        id: u64,
        state: ReservationState,
        now: u64,
    ) -> Option<SharedReservation> {
        let mut shared = self.active.remove(&id)?;
        self.expiries.remove(&(shared.expires_ms, id));
        if let Some(task) = &shared.task {
            self.by_task.remove(task);
        }
        let r = Arc::make_mut(&mut shared);
        r.state = state;
        r.updated_ms = now;
        self.keys.ended(&r.idempotency_key, id, now);
        self.ended.insert((now, id));
        // Its id may still be in `dirty`; take_changes skips ids no longer
        // active, so the final state is written once, from `finished`.
        self.finished.push(shared.clone());
        Some(shared)
    }

    /// Ids of held reservations whose hold ended at or before `now`.
    pub fn due(&self, now: u64) -> Vec<u64> {
        self.expiries
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|&(_, id)| id)
            .collect()
    }

    /// The earliest hold expiry, if any.
    pub fn next_expiry(&self) -> Option<u64> {
        self.expiries.first().map(|&(at, _)| at)
    }

    /// Forgets the keys and the records of reservations that ended at
    /// least the retention before `now` (one rule for both, so a key still
    /// honoured always has its record to answer with); returns how many
    /// (keys, records). The records' ids wait for [`Self::take_pruned`].
    pub fn prune(&mut self, now: u64) -> (usize, usize) {
        let keys = self.keys.prune(now);
        let retention = self.keys.retention_ms();
        let mut records = 0;
        while let Some(&(at, id)) = self.ended.first() {
            if at.saturating_add(retention) > now {
                break;
            }
            self.ended.pop_first();
            self.pruned.push(id);
            records += 1;
        }
        (keys, records)
    }

    /// Ended reservations still stored (not yet pruned).
    pub fn ended_len(&self) -> usize {
        self.ended.len()
    }

    /// Ids of the reservations pruned since the last call, sorted, for the
    /// store to remove in the same group commit.
    pub fn take_pruned(&mut self) -> Vec<u64> {
        let mut ids = std::mem::take(&mut self.pruned);
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every reservation changed since the last call, in its current
    /// state, sorted by id; and the first id created since the last call
    /// (those at or above it are new).
    pub fn take_changes(&mut self) -> (Vec<SharedReservation>, u64) {
        let mut out = std::mem::take(&mut self.finished);
        let mut ids = std::mem::take(&mut self.dirty);
        ids.sort_unstable();
        ids.dedup();
        out.extend(
            ids.into_iter()
                .filter_map(|id| self.active.get(&id).cloned()),
        );
        out.sort_unstable_by_key(|r| r.id);
        // Pruned in this very group (only with a retention shorter than
        // one group): removing it must win over writing it.
        if !self.pruned.is_empty() {
            self.pruned.sort_unstable();
            out.retain(|r| self.pruned.binary_search(&r.id).is_err());
        }
        let next = self.next_id();
        let first_new = std::mem::replace(&mut self.group_first, next);
        (out, first_new.max(1))
    }
}
