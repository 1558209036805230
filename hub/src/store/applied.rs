//! The store's records of (device, epoch) streams: their watermarks (`w`)
//! and the index of their event log entries (`i`), through which the pool
//! reads back what it applied to compare a resend with ([`AppliedLog`]).
//!
//! Why an index and not a digest: the event log already holds every
//! applied movement exactly as received; what was missing is a way to find
//! a stream's entries without scanning the log. The smallest thing that
//! does it is one key per log entry, `i`, device, 0x00, epoch (u64 BE),
//! first seq (u64 BE), holding the entry's id (a framed u64): one more
//! insert per stream per group commit, and reads only when a batch repeats
//! seqs (resends, duplicates). Keys sort by first seq within a stream, so
//! the entry holding seq `n` is the last key at or below `n`.

use crate::pool::{AppliedLog, DeviceEpoch, EventRecord};
use crate::store::codec::{damaged, decode, encode_i64, i64_of, id_key};
use crate::store::{Store, StoreError};
use protocol::Movement;

/// Bytes after the device id in a stream key: 0x00, epoch (u64 BE).
const STREAM_TAIL: usize = 9;

/// `prefix` + device + 0x00 + epoch (u64 BE).
pub(crate) fn stream_key(prefix: u8, stream: &DeviceEpoch) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + stream.device.len() + STREAM_TAIL + 8);
    key.push(prefix);
    key.extend_from_slice(stream.device.as_bytes());
    key.push(0);
    key.extend_from_slice(&stream.epoch.to_be_bytes());
    key
}

/// The `i` key of the log entry of `stream` that starts at `first_seq`.
pub(crate) fn index_key(stream: &DeviceEpoch, first_seq: u64) -> Vec<u8> {
    let mut key = stream_key(b'i', stream);
    key.extend_from_slice(&first_seq.to_be_bytes());
    key
}

/// The stream of a `w` key (no trailing bytes) or an `i` key (8 more).
pub(crate) fn parse_stream(key: &[u8], trailing: usize) -> Result<DeviceEpoch, StoreError> {
    let bad = || damaged(key, "not a device, 0x00, epoch key");
    let body = key.get(1..).ok_or_else(bad)?;
    let split = body
        .len()
        .checked_sub(STREAM_TAIL + trailing)
        .filter(|&n| n > 0)
        .ok_or_else(bad)?;
    let (device, tail) = body.split_at(split);
    if tail[0] != 0 {
        return Err(bad());
    }
    let device = std::str::from_utf8(device).map_err(|_| bad())?;
    let epoch = u64::from_be_bytes(tail[1..STREAM_TAIL].try_into().map_err(|_| bad())?);
    Ok(DeviceEpoch {
        device: device.to_string(),
        epoch,
    })
}

/// The first seq of an `i` key.
pub(crate) fn index_first_seq(key: &[u8]) -> Result<u64, StoreError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| damaged(key, "index key too short"))
}

/// Adds the index keys of a group's new log entries to its batch.
pub(crate) fn index_events(batch: &mut sled::Batch, events: &[(u64, EventRecord)]) {
    for (id, event) in events {
        let Some(first) = event.movements.first() else {
            continue;
        };
        let stream = DeviceEpoch {
            device: event.device.clone(),
            epoch: event.epoch,
        };
        batch.insert(index_key(&stream, first.seq), encode_i64(*id as i64));
    }
}

impl Store {
    /// Movements of `stream` with seqs `from..=through` from the event log.
    fn read_applied(
        &self,
        stream: &DeviceEpoch,
        from: u64,
        through: u64,
    ) -> Result<Vec<Movement>, StoreError> {
        // Held throughout: entries are not removed from sled meanwhile.
        let state = self.archive.state();
        let archived = state.streams.get(stream).copied().unwrap_or(0);
        let mut out = Vec::new();
        if from <= archived {
            out = self
                .archive
                .applied_in(&state, stream, from, through.min(archived))?;
        }
        // Entries are whole, so the stream's next one starts after them.
        let from = from.max(archived + 1);
        if from > through {
            return Ok(out);
        }
        let prefix = stream_key(b'i', stream);
        // The entry holding `from` is the last one starting at or below it.
        let start = self
            .tree
            .range(index_key(stream, 0)..=index_key(stream, from))
            .next_back()
            .transpose()?
            .map(|(k, _)| k.to_vec())
            .unwrap_or_else(|| index_key(stream, from));
        for item in self.tree.range(start..) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) || index_first_seq(&k)? > through {
                break;
            }
            let id = i64_of(&k, &v)? as u64;
            if id <= state.through {
                continue; // archived, and being removed from sled
            }
            let key = id_key(b'e', id);
            let raw = self.tree.get(&key)?.ok_or_else(|| {
                StoreError::Inconsistent(format!("index names event log entry {id}, missing"))
            })?;
            let event: EventRecord = decode(&key, &raw)?;
            if !event.is_of(stream) {
                return Err(StoreError::Inconsistent(format!(
                    "index of device {} epoch {} names entry {id} of another stream",
                    stream.device,
                    stream.epoch_hex()
                )));
            }
            out.extend(
                event
                    .movements
                    .into_iter()
                    .filter(|m| (from..=through).contains(&m.seq)),
            );
        }
        Ok(out)
    }
}

impl AppliedLog for Store {
    fn applied(
        &self,
        stream: &DeviceEpoch,
        from: u64,
        through: u64,
    ) -> Result<Vec<Movement>, String> {
        self.read_applied(stream, from, through).map_err(|e| {
            tracing::error!(
                device = %stream.device.escape_debug(),
                epoch = %stream.epoch_hex(),
                error = %e,
                "cannot read applied movements to compare a resend"
            );
            e.to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Pool;
    use protocol::EventBatch;

    fn batch(epoch: u64, seqs: std::ops::RangeInclusive<u64>) -> EventBatch {
        crate::store::test_batch::batch("d1", epoch, seqs)
    }

    /// A store with two log entries of epoch 5, damaged by `damage` while
    /// open (so its clean close describes the damaged files), reopened.
    fn reopened_after(damage: impl FnOnce(&sled::Tree)) -> Result<Store, StoreError> {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = Store::open(dir.path()).expect("open");
            let mut pool: Pool = store.load_pool().expect("load");
            for range in [1..=3, 4..=6] {
                pool.apply_batch(&batch(5, range), 1, &store);
                store.commit(&pool.take_changes()).expect("commit");
            }
            damage(&store.tree);
        }
        Store::open(dir.path())
    }

    fn index_keys(tree: &sled::Tree) -> Vec<(sled::IVec, sled::IVec)> {
        tree.scan_prefix([b'i']).map(|i| i.expect("read")).collect()
    }

    #[test]
    fn a_store_with_a_damaged_log_index_is_refused() {
        assert!(reopened_after(|_| {}).is_ok());
        let refusals = [
            reopened_after(|t| {
                t.remove(&index_keys(t)[1].0).expect("remove");
            }),
            reopened_after(|t| {
                let keys = index_keys(t);
                t.insert(&keys[0].0, keys[1].1.clone()).expect("retarget");
            }),
            reopened_after(|t| {
                let other = DeviceEpoch {
                    device: "d1".into(),
                    epoch: 6,
                };
                t.insert(index_key(&other, 1), encode_i64(1))
                    .expect("stray");
            }),
        ];
        for refused in refusals {
            match refused {
                Err(StoreError::Inconsistent(problem)) => {
                    assert!(problem.contains("index"), "{problem}")
                }
                Err(e) => panic!("refused for another reason: {e}"),
                Ok(_) => panic!("a damaged log index was not refused"),
            }
        }
    }

    #[test]
    fn stream_keys_parse_back_and_sort_by_first_seq() {
        let stream = DeviceEpoch {
            device: "hh-1".into(),
            epoch: 0x0102_0304_0506_0708,
        };
        let w = stream_key(b'w', &stream);
        assert_eq!(parse_stream(&w, 0).unwrap(), stream);
        let low = index_key(&stream, 9);
        let high = index_key(&stream, 300);
        assert!(low < high);
        assert_eq!(parse_stream(&high, 8).unwrap(), stream);
        assert_eq!(index_first_seq(&high).unwrap(), 300);
        assert!(parse_stream(b"wx", 0).is_err());
        assert!(parse_stream(&w[..w.len() - 1], 0).is_err());
    }
}
