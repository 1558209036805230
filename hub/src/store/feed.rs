//! The change feed and the fleet table in the store (issue 17): each
//! feed event under `E` + feed id (u64 BE), the newest [`FEED_KEEP`]
//! only, each device's fleet row under `F` + device, and the next feed id
//! under `mnext_feed`, all in the group commit that made them: an event
//! is pushed only once durable, and a client resumes from here after a
//! restart of either side.

use crate::store::codec::{decode, encode, encode_i64, id_key, id_of, prefixed};
use crate::store::{Store, StoreError};
use hub_core::changes::Changes;
use hub_core::feed::FeedEvent;
use hub_core::fleet::FleetRow;

/// The next feed id.
pub(crate) const NEXT_FEED: &[u8] = b"mnext_feed";

/// Feed events kept: a client away for longer than these take to be
/// written resumes with a gap (it is told: the first id it gets is not
/// the one after its own) and reads the state afresh.
pub const FEED_KEEP: u64 = 100_000;

/// Puts a group's feed events and fleet rows into its batch, and drops
/// the events that fell out of the kept window.
pub(crate) fn write(batch: &mut sled::Batch, changes: &Changes) {
    for (id, event) in &changes.feed {
        batch.insert(id_key(b'E', *id), encode(event));
        if *id > FEED_KEEP {
            batch.remove(id_key(b'E', id - FEED_KEEP));
        }
    }
    if !changes.feed.is_empty() {
        batch.insert(NEXT_FEED, encode_i64(changes.next_ids.feed as i64));
    }
    for (device, row) in &changes.fleet {
        batch.insert(prefixed(b'F', device.as_bytes()), encode(row));
    }
}

/// Checks one record of this module's prefixes; `None` for others.
pub(crate) fn check_record(prefix: u8, key: &[u8], value: &[u8]) -> Option<Result<(), StoreError>> {
    match prefix {
        b'E' => Some(decode::<FeedEvent>(key, value).map(drop)),
        b'F' => Some(decode::<FleetRow>(key, value).map(drop)),
        _ => None,
    }
}

impl Store {
    /// Up to `limit` feed events after `after`, oldest first.
    pub fn feed_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, FeedEvent)>, StoreError> {
        let from = id_key(b'E', after.saturating_add(1));
        let mut out = Vec::new();
        for item in self.tree.range(from..).take(limit) {
            let (k, v) = item?;
            if k.first() != Some(&b'E') {
                break;
            }
            out.push((id_of(&k)?, decode(&k, &v)?));
        }
        Ok(out)
    }

    /// The id the next feed event will get (1 + the last one's).
    pub fn next_feed_id(&self) -> Result<u64, StoreError> {
        self.counter(NEXT_FEED)
    }

    /// The fleet table, sorted by device.
    pub fn fleet(&self) -> Result<Vec<(String, FleetRow)>, StoreError> {
        self.tree
            .scan_prefix([b'F'])
            .map(|item| {
                let (k, v) = item?;
                let device = String::from_utf8_lossy(&k[1..]).into_owned();
                Ok((device, decode(&k, &v)?))
            })
            .collect()
    }
}
