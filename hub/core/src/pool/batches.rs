//! How the pool takes a device's batch: per (device, journal epoch)
//! watermarks, and the comparison that tells a resend from a conflict.
//!
//! Why compare at all: a seq at or below the watermark was applied once,
//! and applying it again would count stock twice, so it is skipped; but
//! "skipped as a duplicate" is only right if it is the same movement. A
//! journal restored from an old backup (same epoch, seqs handed out again
//! for new scans) or a cloned device would otherwise have its new scans
//! dropped in silence and acknowledged, so the device trims them: lost. So
//! the part of a batch at or below the watermark is compared with what was
//! applied, movement by movement (every field), and a difference refuses
//! the whole batch as a [`BatchOutcome::Conflict`] with an alert; it is
//! never acknowledged. What was applied is read from the pending group in
//! memory, and from the event log for committed groups ([`AppliedLog`]:
//! the store finds a stream's log entries through a small index, see
//! `store_applied`), so the hub stores no digest or copy of its own.

use crate::alerts::AlertKind;
use crate::pool::{AppliedLog, BatchOutcome, DeviceEpoch, EventRecord, Pool};
use protocol::{EventBatch, Movement};

/// The first movement of a batch that differs from the one applied.
struct Difference {
    applied: Movement,
    received: Movement,
}

impl Pool {
    /// Applies the part of a validated batch above its stream's watermark,
    /// after checking that the part at or below it is what was applied
    /// (`log` holds the committed groups). Movements are physical facts:
    /// each is applied as scanned, and what it contradicts becomes a
    /// discrepancy or an alert, never a refusal.
    pub fn apply_batch(
        &mut self,
        batch: &EventBatch,
        now_ms: u64,
        log: &dyn AppliedLog,
    ) -> BatchOutcome {
        // Any batch shows its device is alive: its open task lines stay
        // its own (a handheld walking without scanning still resends).
        self.tasks.seen(&batch.device, now_ms);
        let stream = DeviceEpoch::of(batch);
        let watermark = self.devices.get(&stream).map_or(0, |d| d.watermark);
        if batch.first_seq > watermark.saturating_add(1) {
            return BatchOutcome::Gap { watermark };
        }
        let seen = batch
            .movements
            .iter()
            .take_while(|m| m.seq <= watermark)
            .count();
        match self.compare(&stream, &batch.movements[..seen], log) {
            Ok(None) => {}
            Ok(Some(difference)) => {
                let seq = difference.received.seq;
                self.conflict(&stream, batch, difference, now_ms);
                return BatchOutcome::Conflict { seq, watermark };
            }
            Err(()) => return BatchOutcome::Unverified { watermark },
        }
        let fresh = &batch.movements[seen..];
        if fresh.is_empty() {
            return BatchOutcome::Duplicate {
                through: batch.last_seq(),
            };
        }
        for movement in fresh {
            self.apply_one(movement, &batch.device, batch.epoch, now_ms);
        }
        let count = fresh.len();
        self.log(&stream, fresh.to_vec(), now_ms);
        let through = batch.last_seq();
        let record = self.devices.entry(stream.clone()).or_default();
        record.watermark = through;
        record.last_batch_ms = now_ms;
        record.applied += count as u64;
        self.dirty_devices.insert(stream);
        BatchOutcome::Applied { count, through }
    }

    /// Compares `seen` (movements at or below the watermark, in seq order)
    /// with what was applied under their seqs: the pending group's entry of
    /// the stream first, the committed log for the seqs before it.
    fn compare(
        &self,
        stream: &DeviceEpoch,
        seen: &[Movement],
        log: &dyn AppliedLog,
    ) -> Result<Option<Difference>, ()> {
        let (Some(first), Some(last)) = (seen.first(), seen.last()) else {
            return Ok(None);
        };
        // The stream's entries of the pending group hold its newest seqs.
        let pending: Vec<&Movement> = self
            .new_events
            .iter()
            .filter(|(_, entry)| entry.is_of(stream))
            .flat_map(|(_, entry)| &entry.movements)
            .collect();
        let pending_from = pending.first().map_or(u64::MAX, |m| m.seq);
        let mut applied: Vec<&Movement> = Vec::with_capacity(seen.len());
        let committed;
        if first.seq < pending_from {
            let through = last.seq.min(pending_from - 1);
            committed = log.applied(stream, first.seq, through).map_err(drop)?;
            applied.extend(committed.iter());
        }
        applied.extend(
            pending
                .into_iter()
                .filter(|m| m.seq >= first.seq && m.seq <= last.seq),
        );
        if applied.len() != seen.len() || applied.iter().zip(seen).any(|(a, s)| a.seq != s.seq) {
            // The log does not hold what the watermark says it applied.
            return Err(());
        }
        Ok(applied
            .into_iter()
            .zip(seen)
            .find(|(a, s)| a != s)
            .map(|(a, s)| Difference {
                applied: a.clone(),
                received: s.clone(),
            }))
    }

    /// Counts a conflict on its stream and raises an alert, once per
    /// conflicting seq (a device resends the same batch until someone acts).
    fn conflict(&mut self, stream: &DeviceEpoch, batch: &EventBatch, d: Difference, now: u64) {
        let seq = d.received.seq;
        let record = self.devices.entry(stream.clone()).or_default();
        record.conflicts += 1;
        let alert = record.conflict_seq != seq;
        record.conflict_seq = seq;
        self.dirty_devices.insert(stream.clone());
        if !alert {
            return;
        }
        let message = format!(
            "device {} epoch {}: batch seq {}..={} differs at seq {seq} from what was applied \
             (applied: {}; received: {}); refused and not acknowledged, the device keeps it",
            stream.device,
            stream.epoch_hex(),
            batch.first_seq,
            batch.last_seq(),
            describe(&d.applied),
            describe(&d.received),
        );
        let (sku, location) = (d.received.sku.clone(), d.received.location.clone());
        self.alerts.raise(
            AlertKind::JournalConflict,
            &sku,
            Some(&location),
            message,
            now,
        );
    }

    /// Appends applied movements to the pending log. Consecutive batches
    /// of one stream share one log entry: a group of many one-scan batches
    /// costs a few inserts, not one per scan. Only while no other stream's
    /// entry came after it, though: the log's order must stay the order of
    /// applying, or a replay would apply a count and a receive of another
    /// stream the other way round.
    fn log(&mut self, stream: &DeviceEpoch, movements: Vec<Movement>, now_ms: u64) {
        if let Some(&index) = self.open_entries.get(stream) {
            if index + 1 == self.new_events.len() {
                if let Some((_, entry)) = self.new_events.get_mut(index) {
                    entry.movements.extend(movements);
                    return;
                }
            }
        }
        self.open_entries
            .insert(stream.clone(), self.new_events.len());
        let record = EventRecord {
            device: stream.device.clone(),
            epoch: stream.epoch,
            applied_ms: now_ms,
            movements,
        };
        self.new_events.push((self.next_event, record));
        self.next_event += 1;
    }
}

/// One movement in words, for an alert.
fn describe(m: &Movement) -> String {
    let mut text = format!(
        "{} {} of {} at {}",
        m.kind.as_str(),
        m.quantity,
        m.sku,
        m.location
    );
    if let Some(to) = &m.to_location {
        text.push_str(&format!(" to {to}"));
    }
    if let Some(lot) = &m.lot {
        text.push_str(&format!(" lot {lot}"));
    }
    if let Some(task) = &m.task {
        text.push_str(&format!(" task {task}"));
    }
    text.push_str(&format!(" at device time {}", m.device_time_ms));
    text
}
