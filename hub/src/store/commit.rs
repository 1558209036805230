//! Writing group commits, in two steps: [`Store::write`] puts a group's
//! changes into sled (one atomic `apply_batch`, not yet durable) and
//! [`Store::flush_through`] makes them durable (sled's `flush`, then the
//! sync of its files and the seal's mark, `storeseal::Keeper::persist`).
//!
//! Why two steps: the writer gathers and writes the next group while the
//! current one is being flushed (a pipeline, see `crate::writer::flusher`),
//! and one flush covers every group written before it began.
//!
//! The commit count (`m` + `commits`) is what the seal's mark checks at
//! open (the store must hold at least the mark). Every write carries the
//! next count in its own batch, so the count in sled always says how many
//! writes it holds; a flush reads the count of the last write that
//! finished *before* it began, and records exactly that in the seal once
//! the files are synced. So the seal never claims a write that a crash (or
//! a power cut) between a write and its flush could take: after such a
//! crash sled recovers some prefix of the writes, at least every one a
//! finished flush covered, and the store opens with commits >= mark.

use crate::alerts::Alert;
use crate::changes::Changes;
use crate::reservations::Reservation;
use crate::store::codec::{encode, encode_i64, id_key, prefixed, stock_key};
use crate::store::{Store, StoreError, COMMITS, NEXT_DEAD, NEXT_EVENT};
use crate::store::{
    NEXT_ALERT, NEXT_ALLOCATION, NEXT_AUDIT, NEXT_DISCREPANCY, NEXT_ORDER, NEXT_RESERVATION,
    NEXT_TASK,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Reservations per `q` record: about 30 KB, well inside a sled page.
const RESERVATIONS_PER_RECORD: usize = 512;

/// The store's commit counts: how many writes sled holds and how many of
/// them are durable.
#[derive(Debug)]
pub(crate) struct Counts {
    /// The count the last write carried; the lock serialises writers, so
    /// counts reach sled in increasing order.
    written: Mutex<u64>,
    /// The same, readable without waiting for a write in progress: it is
    /// raised only after the write's `apply_batch` returned.
    written_now: AtomicU64,
    /// The count last recorded in the seal as durable.
    durable: AtomicU64,
    /// Serialises flushes, so the seal's mark only grows.
    flushing: Mutex<()>,
}

impl Counts {
    /// Counts of a store that opened holding `commits` (all durable: it is
    /// what sled recovered from disk).
    pub(crate) fn opened(commits: u64) -> Counts {
        Counts {
            written: Mutex::new(commits),
            written_now: AtomicU64::new(commits),
            durable: AtomicU64::new(commits),
            flushing: Mutex::new(()),
        }
    }
}

impl Store {
    /// Writes one group's changes atomically and flushes them to disk.
    pub fn commit(&self, changes: &Changes) -> Result<(), StoreError> {
        let count = self.write(changes)?;
        self.flush_through(count).map(drop)
    }

    /// Writes one group's changes in one atomic sled batch, not yet
    /// durable; returns the group's commit count, to pass to
    /// [`Store::flush_through`] before anything it holds is answered.
    pub fn write(&self, changes: &Changes) -> Result<u64, StoreError> {
        let mut batch = sled::Batch::default();
        for (key, on_hand) in &changes.stock {
            batch.insert(stock_key(key), encode_i64(*on_hand));
        }
        for (stream, record) in &changes.devices {
            batch.insert(
                crate::store::applied::stream_key(b'w', stream),
                encode(record),
            );
        }
        for (id, event) in &changes.events {
            batch.insert(id_key(b'e', *id), encode(event));
        }
        crate::store::applied::index_events(&mut batch, &changes.events);
        for (id, letter) in &changes.dead_letters {
            batch.insert(id_key(b'd', *id), encode(letter));
            if let Some(old) = id.checked_sub(crate::events::KEPT_DEAD_LETTERS) {
                batch.remove(id_key(b'd', old));
            }
        }
        add_stock_records(&mut batch, changes);
        crate::store::orders::write(&self.tree, &mut batch, changes)?;
        crate::store::tasks::write(&mut batch, &changes.tasks);
        crate::store::labels::write(&mut batch, &changes.printing);
        crate::store::feed::write(&mut batch, changes);
        crate::store::prune::remove_reservations(
            &self.tree,
            &mut batch,
            &changes.pruned_reservations,
        )?;
        batch.insert(NEXT_EVENT, encode_i64(changes.next_event as i64));
        batch.insert(NEXT_DEAD, encode_i64(changes.next_dead as i64));
        let ids = &changes.next_ids;
        for (key, value) in [
            (NEXT_RESERVATION, ids.reservation),
            (NEXT_ALERT, ids.alert),
            (NEXT_DISCREPANCY, ids.discrepancy),
            (NEXT_TASK, ids.count_task),
            (NEXT_ORDER, ids.order),
            (NEXT_AUDIT, ids.audit),
            (NEXT_ALLOCATION, ids.allocation),
        ] {
            batch.insert(key, encode_i64(value as i64));
        }
        let written = self.write_counted(batch);
        crate::store::reclaim::help(changes.records());
        written
    }

    /// Applies `batch` plus the next commit count, flushes, and records the
    /// count in the seal (the writes outside group commits: reports, the
    /// boot number). A failed write leaves the seal open.
    pub(crate) fn apply_counted(&self, batch: sled::Batch) -> Result<(), StoreError> {
        let count = self.write_counted(batch)?;
        self.flush_through(count).map(drop)
    }

    /// Applies `batch` with the next commit count in it; returns the count.
    fn write_counted(&self, mut batch: sled::Batch) -> Result<u64, StoreError> {
        let counts = &self.seal.counts;
        let mut written = counts.written.lock().unwrap_or_else(|p| p.into_inner());
        let next = *written + 1;
        batch.insert(COMMITS, encode_i64(next as i64));
        if let Err(e) = self.tree.apply_batch(batch) {
            self.seal.keeper.forgo_clean_close();
            return Err(e.into());
        }
        *written = next;
        counts.written_now.store(next, Ordering::Release);
        Ok(next)
    }

    /// Makes every write up to commit count `count` durable, and any
    /// others that finished before this flush began; returns the count now
    /// durable. Returns at once if a flush already covered `count`.
    pub fn flush_through(&self, count: u64) -> Result<u64, StoreError> {
        let counts = &self.seal.counts;
        let _flushing = counts.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let durable = counts.durable.load(Ordering::Acquire);
        if durable >= count {
            return Ok(durable);
        }
        // Read before the flush begins: sled's flush covers every write
        // that finished before it, so this count is durable when it returns.
        let target = counts.written_now.load(Ordering::Acquire);
        if let Err(e) = self.db.flush() {
            self.seal.keeper.forgo_clean_close();
            return Err(e.into());
        }
        // sled's flush is not durable against a power cut (see
        // storeseal::durable): nothing may be answered or acked before its
        // files and the seal's mark are synced.
        if let Err(e) = self.seal.keeper.persist(target) {
            self.seal.keeper.forgo_clean_close();
            return Err(e.into());
        }
        counts.durable.store(target, Ordering::Release);
        // sled's flush leaves its garbage (spent I/O buffers among it) in
        // this thread's own epoch bag, which only this thread hands to the
        // collector: the flusher is not the writer, so it must help too.
        crate::store::reclaim::help(0);
        Ok(target)
    }

    /// The commit count of the last write that finished.
    pub fn written_commits(&self) -> u64 {
        self.seal.counts.written_now.load(Ordering::Acquire)
    }

    /// The commit count the seal records as durable.
    pub fn durable_commits(&self) -> u64 {
        self.seal.counts.durable.load(Ordering::Acquire)
    }
}

fn add_stock_records(batch: &mut sled::Batch, changes: &Changes) {
    let split = changes
        .reservations
        .partition_point(|r| r.id < changes.new_reservations_from);
    let (changed, created) = changes.reservations.split_at(split);
    for r in changed {
        batch.insert(id_key(b'r', r.id), encode(r.as_ref()));
    }
    for chunk in created.chunks(RESERVATIONS_PER_RECORD) {
        let records: Vec<&Reservation> = chunk.iter().map(|r| r.as_ref()).collect();
        batch.insert(id_key(b'q', chunk[0].id), encode(&records));
    }
    for (sku, rule) in &changes.safety {
        let key = prefixed(b't', sku.as_bytes());
        match rule {
            Some(rule) => batch.insert(key, encode(rule)),
            None => batch.remove(key),
        }
    }
    for (id, alert) in &changes.alerts {
        batch.insert(id_key(b'a', *id), encode::<Alert>(alert));
    }
    for d in &changes.discrepancies {
        batch.insert(id_key(b'x', d.id), encode(d));
    }
    for t in &changes.count_tasks {
        batch.insert(id_key(b'k', t.id), encode(t));
    }
    for (sku, lot, info) in &changes.lots {
        batch.insert(
            prefixed(b'l', format!("{sku}\0{lot}").as_bytes()),
            encode(info),
        );
    }
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
