//! The idempotency index: which reservation a retry key stands for, and for
//! how long after that reservation ends the key is still honoured.
//!
//! A client retries a reservation with the same key (or order reference)
//! when an answer is lost; the retry must return the first reservation,
//! never a second hold. That promise only needs to outlive the client's
//! retries, so a key is kept while its reservation is active and for
//! `retention_ms` after it ends (released, expired or fulfilled), then
//! forgotten by the sweeper. Without that the index grows with every
//! reservation ever made.
//!
//! Nothing here is stored: the index is rebuilt at load from the stored
//! reservations (their key, state and `updated_ms`, which is when an ended
//! one ended), and the same rule forgets the same keys again, so a pruned
//! key stays pruned across a restart. The reservation's record leaves the
//! store under the same rule at the same sweep
//! ([`crate::reservations::ReservationBook::prune`]), so a key still
//! honoured always has its record to answer with.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// How long a key is honoured after its reservation ends, by default.
pub const DEFAULT_KEY_RETENTION_MS: u64 = 24 * 3_600_000;

/// Key -> (reservation id, request fingerprint), with the keys of ended
/// reservations queued by when they may be forgotten.
#[derive(Debug)]
pub struct KeyIndex {
    by_key: HashMap<Arc<str>, (u64, u64)>,
    /// (ended_ms, id) -> key, for ended reservations still honoured.
    ended: BTreeMap<(u64, u64), Arc<str>>,
    retention_ms: u64,
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex {
            by_key: HashMap::new(),
            ended: BTreeMap::new(),
            retention_ms: DEFAULT_KEY_RETENTION_MS,
        }
    }
}

impl KeyIndex {
    /// (id, fingerprint) of the reservation made under `key`, if honoured.
    pub fn get(&self, key: &str) -> Option<(u64, u64)> {
        self.by_key.get(key).copied()
    }

    /// Records that reservation `id` was made under `key`.
    pub fn insert(&mut self, key: &str, id: u64, fingerprint: u64) {
        self.by_key.insert(Arc::from(key), (id, fingerprint));
    }

    /// Reservation `id` (made under `key`) ended at `at_ms`: its key is
    /// forgotten once the retention has passed.
    pub fn ended(&mut self, key: &str, id: u64, at_ms: u64) {
        if let Some((shared, &(known, _))) = self.by_key.get_key_value(key) {
            // A later reservation may own the key (after an earlier prune).
            if known == id {
                self.ended.insert((at_ms, id), shared.clone());
            }
        }
    }

    /// Forgets every key whose reservation ended at least the retention
    /// before `now`; returns how many.
    pub fn prune(&mut self, now: u64) -> usize {
        let mut pruned = 0;
        while let Some(entry) = self.ended.first_entry() {
            let (at, id) = *entry.key();
            if at.saturating_add(self.retention_ms) > now {
                break;
            }
            let key = entry.remove();
            if self
                .by_key
                .get(&*key)
                .is_some_and(|&(known, _)| known == id)
            {
                self.by_key.remove(&*key);
                pruned += 1;
            }
        }
        pruned
    }

    /// Sets how long keys are honoured after their reservation ends.
    pub fn set_retention(&mut self, retention_ms: u64) {
        self.retention_ms = retention_ms;
    }

    /// How long keys are honoured after their reservation ends.
    pub fn retention_ms(&self) -> u64 {
        self.retention_ms
    }

    /// Keys currently honoured.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no key is honoured.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000;

    /// (what happens, keys honoured afterwards).
    #[test]
    fn keys_are_forgotten_only_after_the_retention() {
        let mut index = KeyIndex::default();
        index.set_retention(24 * H);
        index.insert("k1", 1, 11);
        index.insert("k2", 2, 22);
        index.insert("active", 3, 33);
        index.ended("k1", 1, 10 * H);
        index.ended("k2", 2, 20 * H);
        let steps: [(u64, usize, &[&str]); 4] = [
            (34 * H - 1, 0, &["k1", "k2", "active"]),
            (34 * H, 1, &["k2", "active"]),
            (44 * H, 1, &["active"]),
            (1_000 * H, 0, &["active"]),
        ];
        for (now, pruned, kept) in steps {
            assert_eq!(index.prune(now), pruned, "at {now}");
            assert_eq!(index.len(), kept.len(), "at {now}");
            for key in kept {
                assert!(index.get(key).is_some(), "{key} at {now}");
            }
        }
        assert_eq!(index.get("active"), Some((3, 33)));
    }

    #[test]
    fn a_key_taken_again_after_a_prune_belongs_to_the_new_reservation() {
        let mut index = KeyIndex::default();
        index.set_retention(H);
        // As at load: the old owner (ended long ago) and the new one.
        index.insert("k", 1, 11);
        index.ended("k", 1, 0);
        index.insert("k", 7, 77);
        assert_eq!(index.prune(10 * H), 0);
        assert_eq!(index.get("k"), Some((7, 77)));
        // An end reported for the old owner changes nothing either.
        index.ended("k", 1, 10 * H);
        assert_eq!(index.prune(100 * H), 0);
        assert_eq!(index.get("k"), Some((7, 77)));
    }
}
