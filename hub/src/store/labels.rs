//! Label batches and label jobs in the store (issue 16): each batch under
//! `b` + batch id, each job under `y` + job id, each unfinished job's id
//! again under `f` + job id (what start-up loads), each job still to be
//! sent under `z` + station 0x00 + job id (what a station is sent), and
//! the next ids under `mnext_label_job` and `mnext_label_batch`, all in
//! the group commit that changed them: a job is published only once it is
//! durable, and re-sent from here after a restart.
//!
//! A job's label is stored sealed under its batch's data key (the key
//! itself wrapped by the master key, in the batch record), and cleared
//! once printed: no recipient's address is at rest in clear, and none
//! outlives its label for long.

use crate::store::codec::{decode, encode, encode_i64, id_key, prefixed};
use crate::store::{Store, StoreError};
use hub_core::printing::{BatchRecord, JobRecord, JobState, PrintChanges, PrintParts};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

/// The next label job id.
pub(crate) const NEXT_JOB: &[u8] = b"mnext_label_job";
/// The next label batch id.
pub(crate) const NEXT_BATCH: &[u8] = b"mnext_label_batch";

fn send_key(station: &str, job: u64) -> Vec<u8> {
    let mut key = prefixed(b'z', station.as_bytes());
    key.push(0);
    key.extend_from_slice(&job.to_be_bytes());
    key
}

fn unfinished(state: &JobState) -> bool {
    !matches!(
        state,
        JobState::Printed | JobState::Moved(_) | JobState::Closed(_)
    )
}

/// Puts a group's printing changes into its batch.
pub(crate) fn write(batch: &mut sled::Batch, changes: &PrintChanges) {
    for b in &changes.batches {
        batch.insert(id_key(b'b', b.id), encode(b));
    }
    for job in &changes.jobs {
        batch.insert(id_key(b'y', job.id), encode(job));
        if unfinished(&job.state) {
            batch.insert(id_key(b'f', job.id), encode(&()));
        } else {
            batch.remove(id_key(b'f', job.id));
        }
        if job.state == JobState::Sent {
            batch.insert(send_key(&job.station, job.id), encode(&()));
        } else {
            batch.remove(send_key(&job.station, job.id));
        }
    }
    if !changes.is_empty() {
        batch.insert(NEXT_JOB, encode_i64(changes.next_job as i64));
        batch.insert(NEXT_BATCH, encode_i64(changes.next_batch as i64));
    }
}

/// Decodes a printing record by its prefix (for the start-up check).
pub(crate) fn check_record(prefix: u8, key: &[u8], value: &[u8]) -> Option<Result<(), StoreError>> {
    Some(match prefix {
        b'b' => decode::<BatchRecord>(key, value).map(drop),
        b'y' => decode::<JobRecord>(key, value).map(drop),
        b'f' | b'z' => decode::<()>(key, value).map(drop),
        _ => return None,
    })
}

/// A station's jobs to publish, in id order, and the wrapped data key of
/// each of their batches.
#[derive(Debug, Default)]
pub struct JobsToSend {
    /// The jobs.
    pub jobs: Vec<JobRecord>,
    /// Batch id to its wrapped key.
    pub keys: BTreeMap<u64, Vec<u8>>,
}

impl Store {
    /// What the print book needs at start: the unfinished jobs, their
    /// batches, and the id counters.
    pub fn print_parts(&self) -> Result<PrintParts, StoreError> {
        let mut jobs = Vec::new();
        for item in self.tree.scan_prefix([b'f']) {
            let (k, _) = item?;
            let id = crate::store::codec::id_of(&k)?;
            jobs.extend(self.record::<JobRecord>(b'y', id)?);
        }
        let mut batch_ids: Vec<u64> = jobs.iter().map(|j| j.batch).collect();
        batch_ids.sort_unstable();
        batch_ids.dedup();
        let mut batches = Vec::new();
        for id in batch_ids {
            batches.extend(self.record::<BatchRecord>(b'b', id)?);
        }
        Ok(PrintParts {
            jobs,
            batches,
            next_job: self.counter(NEXT_JOB)?,
            next_batch: self.counter(NEXT_BATCH)?,
        })
    }

    /// The jobs to publish to `station`, in id order, with their batches'
    /// wrapped keys, as last committed.
    pub fn jobs_to_send(&self, station: &str) -> Result<JobsToSend, StoreError> {
        let mut prefix = prefixed(b'z', station.as_bytes());
        prefix.push(0);
        let mut out = JobsToSend::default();
        for item in self.tree.scan_prefix(&prefix) {
            let (k, _) = item?;
            let Some(id) = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
            else {
                continue;
            };
            // The scan is no snapshot: a group committed since this key
            // was read may have moved the job on (printed, its label
            // erased), and then it is no longer to be sent.
            if let Some(job) = self.record::<JobRecord>(b'y', u64::from_be_bytes(id))? {
                if job.state == JobState::Sent {
                    self.add_to_send(&mut out, job)?;
                }
            }
        }
        Ok(out)
    }

    /// Every job still live at its station (sent there, or queued there
    /// as far as the hub heard), by station, in id order, with their
    /// batches' wrapped keys, as last committed: what the hub publishes
    /// again after each of its connections to the broker, so that each
    /// station answers with where the job stands.
    pub fn live_jobs(&self) -> Result<BTreeMap<String, JobsToSend>, StoreError> {
        let mut out: BTreeMap<String, JobsToSend> = BTreeMap::new();
        for item in self.tree.scan_prefix([b'f']) {
            let (k, _) = item?;
            let id = crate::store::codec::id_of(&k)?;
            let Some(job) = self.record::<JobRecord>(b'y', id)? else {
                continue;
            };
            if job.state.is_live() {
                let station = out.entry(job.station.clone()).or_default();
                self.add_to_send(station, job)?;
            }
        }
        Ok(out)
    }

    /// Adds `job` to `out` with its batch's wrapped key, read once per
    /// batch however many of its jobs go out (a job whose batch is gone
    /// is left out).
    fn add_to_send(&self, out: &mut JobsToSend, job: JobRecord) -> Result<(), StoreError> {
        if let Entry::Vacant(slot) = out.keys.entry(job.batch) {
            let Some(batch) = self.record::<BatchRecord>(b'b', job.batch)? else {
                return Ok(());
            };
            slot.insert(batch.key);
        }
        out.jobs.push(job);
        Ok(())
    }

    /// A batch and every job it ever had (moved ones included), as last
    /// committed.
    pub fn label_batch(
        &self,
        id: u64,
    ) -> Result<Option<(BatchRecord, Vec<JobRecord>)>, StoreError> {
        let Some(batch) = self.record::<BatchRecord>(b'b', id)? else {
            return Ok(None);
        };
        let mut jobs = Vec::new();
        let mut next: Vec<u64> = batch.jobs.clone();
        while let Some(id) = next.pop() {
            if let Some(job) = self.record::<JobRecord>(b'y', id)? {
                if let JobState::Moved(to) = job.state {
                    next.push(to);
                }
                jobs.push(job);
            }
        }
        jobs.sort_by_key(|j| j.id);
        Ok(Some((batch, jobs)))
    }

    /// The newest `limit` batches first, each with its jobs.
    pub fn label_batches(
        &self,
        limit: usize,
    ) -> Result<Vec<(BatchRecord, Vec<JobRecord>)>, StoreError> {
        let mut out = Vec::new();
        for (id, _) in self.newest::<BatchRecord>(b'b', limit, |_| true)? {
            if let Some(found) = self.label_batch(id)? {
                out.push(found);
            }
        }
        Ok(out)
    }

    /// The `writeback` tree: what is owed to shop platforms (see
    /// `writeback::worker`), apart from the group commits.
    pub fn writeback_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree("writeback")?)
    }

    /// Makes the `writeback` tree's changes durable.
    pub fn flush_writebacks(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// One label job, as last committed.
    pub fn label_job(&self, id: u64) -> Result<Option<JobRecord>, StoreError> {
        self.record::<JobRecord>(b'y', id)
    }
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;
