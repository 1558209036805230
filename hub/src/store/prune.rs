//! Removing the records of ended reservations past their retention, inside
//! the group commit that carries them ([`crate::changes::Changes`]'s
//! `pruned_reservations`), so the store holds at most one retention's worth
//! of released, expired and fulfilled reservations (issue 12).
//!
//! A reservation lives in up to two places (see [`crate::store`]): its own
//! `r` record if it changed after the group that created it, and its entry
//! in that group's `q` record. Both go: the `r` key is removed and the `q`
//! record is rewritten without it, or removed once it holds nothing. The
//! rewrite reads the committed `q` record; only the writer commits, so
//! nothing changes it between that read and the batch.

use crate::reservations::Reservation;
use crate::store::codec::{decode, encode, id_key, id_of};
use crate::store::StoreError;
use std::collections::BTreeMap;

/// Adds to `batch` the removal of every reservation in `ids` (sorted).
pub(crate) fn remove_reservations(
    tree: &sled::Tree,
    batch: &mut sled::Batch,
    ids: &[u64],
) -> Result<(), StoreError> {
    // q record's first id -> the ids to drop from it.
    let mut by_group: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for &id in ids {
        batch.remove(id_key(b'r', id));
        let holder = tree
            .range(id_key(b'q', 0)..=id_key(b'q', id))
            .next_back()
            .transpose()?;
        if let Some((k, _)) = holder {
            by_group.entry(id_of(&k)?).or_default().push(id);
        }
    }
    for (first, drop) in by_group {
        let key = id_key(b'q', first);
        let Some(raw) = tree.get(&key)? else {
            continue;
        };
        let mut group: Vec<Reservation> = decode(&key, &raw)?;
        let before = group.len();
        group.retain(|r| drop.binary_search(&r.id).is_err());
        if group.is_empty() {
            batch.remove(key);
        } else if group.len() != before {
            batch.insert(key, encode(&group));
        }
    }
    Ok(())
}
