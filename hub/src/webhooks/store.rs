//! The webhooks in the hub's database, in their own sled tree `webhooks`
//! (as the write-backs have theirs): `h` + hook id (u64 BE) holds the
//! [`Hook`] (JSON), `c` + hook id the feed id delivered through (u64 BE),
//! `x` + hook id + feed id a [`DeadLetter`] (JSON), `n` the last hook id
//! given. A registration, a removal and a dead letter are flushed before
//! they are answered or the cursor moves past them; a cursor alone is
//! written at once and reaches the disk with the next flush of the
//! database (the writer's group commit flushes it too), so a crash sends
//! at most a few delivered events again (at least once).

use super::Hook;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// Dead letters one hook keeps; past these the oldest is dropped (and
/// logged).
pub const MAX_DEAD_LETTERS: usize = 10_000;

/// An event a hook's receiver did not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Its feed id.
    pub event_id: u64,
    /// Its name.
    pub event: String,
    /// When it happened, ms since the epoch.
    pub at_ms: u64,
    /// Its JSON object, as text.
    pub data: String,
    /// Failed attempts.
    pub attempts: u32,
    /// The last failure.
    pub last_error: String,
    /// When it was given up, ms since the epoch.
    pub failed_ms: u64,
}

/// The `webhooks` tree.
#[derive(Clone)]
pub struct HookStore {
    db: sled::Db,
    tree: sled::Tree,
}

fn key(prefix: u8, id: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

fn letter_key(hook: u64, event: u64) -> [u8; 17] {
    let mut k = [b'x'; 17];
    k[1..9].copy_from_slice(&hook.to_be_bytes());
    k[9..].copy_from_slice(&event.to_be_bytes());
    k
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn u64_of(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or_default()
}

impl HookStore {
    /// Opens the tree in `store`'s database.
    pub fn open(store: &Store) -> Result<HookStore, StoreError> {
        Ok(HookStore {
            db: store.db.clone(),
            tree: store.db.open_tree("webhooks")?,
        })
    }

    /// Makes every change so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Every hook with its cursor, by id (a damaged entry is skipped and
    /// logged).
    pub fn hooks(&self) -> Result<Vec<(Hook, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([b'h']) {
            let (k, v) = item?;
            match serde_json::from_slice::<Hook>(&v) {
                Ok(hook) => {
                    let cursor = self.cursor(hook.id)?;
                    out.push((hook, cursor));
                }
                Err(_) => tracing::warn!(key = ?k, "a damaged webhook entry was skipped"),
            }
        }
        Ok(out)
    }

    /// Hook `id`, if registered.
    pub fn hook(&self, id: u64) -> Result<Option<Hook>, StoreError> {
        let Some(v) = self.tree.get(key(b'h', id))? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&v).ok())
    }

    /// How many hooks there are.
    pub fn count(&self) -> usize {
        self.tree.scan_prefix([b'h']).count()
    }

    /// Registers `hook` under a new id, delivering after feed id
    /// `cursor`; durable on return.
    pub fn add(&self, mut hook: Hook, cursor: u64) -> Result<Hook, StoreError> {
        let last = self.tree.update_and_fetch(b"n", |old| {
            let next = old.map_or(0, u64_of).saturating_add(1);
            Some(next.to_be_bytes().to_vec())
        })?;
        hook.id = last.as_deref().map_or(1, u64_of);
        let mut batch = sled::Batch::default();
        batch.insert(&key(b'h', hook.id), json(&hook));
        batch.insert(&key(b'c', hook.id), &cursor.to_be_bytes());
        self.tree.apply_batch(batch)?;
        self.flush()?;
        Ok(hook)
    }

    /// Removes hook `id` with its cursor and dead letters; durable on
    /// return. False if there was none.
    pub fn remove(&self, id: u64) -> Result<bool, StoreError> {
        let Some(_) = self.tree.remove(key(b'h', id))? else {
            return Ok(false);
        };
        self.tree.remove(key(b'c', id))?;
        let mut batch = sled::Batch::default();
        for item in self.tree.scan_prefix(key(b'x', id)) {
            batch.remove(item?.0);
        }
        self.tree.apply_batch(batch)?;
        self.flush()?;
        Ok(true)
    }

    /// The feed id hook `id` delivered through.
    pub fn cursor(&self, id: u64) -> Result<u64, StoreError> {
        Ok(self.tree.get(key(b'c', id))?.as_deref().map_or(0, u64_of))
    }

    /// Hook `id` delivered through `through` (not flushed: see the
    /// module). Nothing for a hook removed meanwhile.
    pub fn set_cursor(&self, id: u64, through: u64) -> Result<(), StoreError> {
        if self.tree.contains_key(key(b'h', id))? {
            self.tree.insert(key(b'c', id), &through.to_be_bytes())?;
        }
        Ok(())
    }

    /// Keeps `letter` for hook `id` and moves its cursor past it, in one
    /// write; durable on return.
    pub fn add_dead_letter(&self, id: u64, letter: &DeadLetter) -> Result<(), StoreError> {
        if !self.tree.contains_key(key(b'h', id))? {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        batch.insert(&letter_key(id, letter.event_id), json(letter));
        batch.insert(&key(b'c', id), &letter.event_id.to_be_bytes());
        let held = self.tree.scan_prefix(key(b'x', id)).keys();
        let mut excess = held.count().saturating_sub(MAX_DEAD_LETTERS - 1);
        for item in self.tree.scan_prefix(key(b'x', id)).keys() {
            if excess == 0 {
                break;
            }
            batch.remove(item?);
            excess -= 1;
            tracing::warn!(
                hook = id,
                "webhook dead letters full: the oldest was dropped"
            );
        }
        self.tree.apply_batch(batch)?;
        self.flush()
    }

    /// Up to `limit` dead letters of hook `id`, oldest event first.
    pub fn dead_letters(&self, id: u64, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(key(b'x', id)).take(limit) {
            let (_, v) = item?;
            if let Ok(letter) = serde_json::from_slice(&v) {
                out.push(letter);
            }
        }
        Ok(out)
    }

    /// How many dead letters hook `id` holds.
    pub fn dead_letter_count(&self, id: u64) -> usize {
        self.tree.scan_prefix(key(b'x', id)).count()
    }

    /// Hook `id`'s dead letter for feed id `event`, if held.
    pub fn dead_letter(&self, id: u64, event: u64) -> Result<Option<DeadLetter>, StoreError> {
        let Some(v) = self.tree.get(letter_key(id, event))? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&v).ok())
    }

    /// Replaces (`Some`) or drops (`None`) a dead letter; durable on
    /// return.
    pub fn settle_letter(
        &self,
        id: u64,
        event: u64,
        letter: Option<&DeadLetter>,
    ) -> Result<(), StoreError> {
        match letter {
            Some(l) if self.tree.contains_key(key(b'h', id))? => {
                self.tree.insert(letter_key(id, event), json(l))?;
            }
            Some(_) => {}
            None => {
                self.tree.remove(letter_key(id, event))?;
            }
        }
        self.flush()
    }
}
