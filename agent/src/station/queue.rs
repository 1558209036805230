//! The station's job queue in sled: every job it was ever given, by id,
//! with where it stands, so that a job is printed at most once per id
//! across restarts and a report can always be repeated.
//!
//! What is kept of a job is the frame exactly as it arrived, still sealed
//! to this station (WIRE.md §7): the recipient's address is opened only
//! in memory, just before printing, and the frame is dropped once the job
//! is finished. The id and its outcome stay for good (a few dozen bytes):
//! a replayed old frame, even after a restart, finds its id known and is
//! never printed again.
//!
//! Every change is flushed to disk before it is reported or acted on; a
//! job found `Sending` at start was interrupted mid-print and becomes
//! `Unsure` (its label may exist).

use protocol::{JobOutcome, JobResult};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Where a job stands at this station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Stored, waiting its turn.
    Queued,
    /// Being sent to the printer (durable before the first byte goes).
    Sending,
    /// The printer took it with no problem.
    Printed,
    /// Not printed, for the reason.
    Failed(String),
    /// Perhaps printed.
    Unsure(String),
}

impl Phase {
    /// The outcome reported for it.
    pub fn outcome(&self) -> JobOutcome {
        match self {
            Phase::Queued | Phase::Sending => JobOutcome::Queued,
            Phase::Printed => JobOutcome::Printed,
            Phase::Failed(r) => JobOutcome::Failed(r.clone()),
            Phase::Unsure(r) => JobOutcome::Unsure(r.clone()),
        }
    }

    /// Printed, failed or unsure: never acted on again.
    pub fn is_final(&self) -> bool {
        !matches!(self, Phase::Queued | Phase::Sending)
    }
}

/// One job as held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldJob {
    /// The job id.
    pub job: u64,
    /// When it arrived (station clock, ms).
    pub received_ms: u64,
    /// How long after arrival it may still start printing.
    pub valid_ms: u32,
    /// The topic it came on (needed to open the frame again).
    pub topic: String,
    /// The frame as received, sealed; emptied once the job is final.
    pub frame: Vec<u8>,
    /// Where it stands.
    pub phase: Phase,
    /// When that last changed.
    pub updated_ms: u64,
}

impl HeldJob {
    /// Its result for a report.
    pub fn result(&self) -> JobResult {
        JobResult {
            job: self.job,
            outcome: self.phase.outcome(),
            at_ms: self.updated_ms,
        }
    }
}

/// Why the queue failed.
#[derive(Debug, Error)]
pub enum QueueError {
    /// sled failed.
    #[error("station queue store: {0}")]
    Store(#[from] sled::Error),
    /// A record that does not decode.
    #[error("station queue record for job {0} is damaged")]
    Damaged(u64),
}

/// What [`StationQueue::offer`] did with a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// New: stored as queued.
    New(HeldJob),
    /// Known already (a resend or a replay): nothing changed.
    Known(HeldJob),
}

/// The queue over one sled directory: every job by id (`label_jobs`),
/// and the ids of those still queued (`queued`), so the next job is one
/// look-up, not a walk over every job ever held.
#[derive(Debug, Clone)]
pub struct StationQueue {
    db: sled::Db,
    jobs: sled::Tree,
    queued: sled::Tree,
}

impl StationQueue {
    /// Opens (or creates) the queue in `dir`; jobs interrupted while
    /// sending become unsure.
    pub fn open(dir: &Path, now: u64) -> Result<StationQueue, QueueError> {
        let db = sled::open(dir)?;
        let jobs = db.open_tree("label_jobs")?;
        let queued = db.open_tree("queued")?;
        let queue = StationQueue { db, jobs, queued };
        for held in queue.all()? {
            if held.phase == Phase::Sending {
                tracing::warn!(job = held.job, "job interrupted while printing: unsure");
                queue.set_phase(held, Phase::Unsure("interrupted".into()), now)?;
            }
        }
        Ok(queue)
    }

    fn all(&self) -> Result<Vec<HeldJob>, QueueError> {
        self.jobs.iter().map(|item| decode(item?)).collect()
    }

    /// Stores a job that arrived, unless its id is known.
    pub fn offer(&self, held: HeldJob) -> Result<Offer, QueueError> {
        let key = held.job.to_be_bytes();
        if let Some(bytes) = self.jobs.get(key)? {
            return Ok(Offer::Known(decode((key.to_vec().into(), bytes))?));
        }
        self.put(&held)?;
        Ok(Offer::New(held))
    }

    /// The queued job with the lowest id (print order).
    pub fn next_queued(&self) -> Result<Option<HeldJob>, QueueError> {
        while let Some((key, _)) = self.queued.first()? {
            match self.jobs.get(&key)? {
                Some(bytes) => {
                    let held = decode((key.clone(), bytes))?;
                    if held.phase == Phase::Queued {
                        return Ok(Some(held));
                    }
                    self.queued.remove(key)?;
                }
                None => {
                    self.queued.remove(key)?;
                }
            }
        }
        Ok(None)
    }

    /// Moves `held` to `phase`, durably; a final job loses its frame.
    pub fn set_phase(
        &self,
        mut held: HeldJob,
        phase: Phase,
        now: u64,
    ) -> Result<HeldJob, QueueError> {
        held.phase = phase;
        held.updated_ms = now;
        if held.phase.is_final() {
            held.frame = Vec::new();
        }
        self.put(&held)?;
        Ok(held)
    }

    /// The results of the `limit` most recent jobs (highest ids).
    pub fn recent_results(&self, limit: usize) -> Result<Vec<JobResult>, QueueError> {
        let mut out = Vec::new();
        for item in self.jobs.iter().rev().take(limit) {
            out.push(decode(item?)?.result());
        }
        Ok(out)
    }

    fn put(&self, held: &HeldJob) -> Result<(), QueueError> {
        let bytes = serde_json::to_vec(held).map_err(|_| QueueError::Damaged(held.job))?;
        let key = held.job.to_be_bytes();
        // The record first: an index entry always has its record (a stale
        // entry is dropped by `next_queued`).
        self.jobs.insert(key, bytes)?;
        if held.phase == Phase::Queued {
            self.queued.insert(key, &[][..])?;
        } else {
            self.queued.remove(key)?;
        }
        self.db.flush()?;
        Ok(())
    }
}

fn decode((key, value): (sled::IVec, sled::IVec)) -> Result<HeldJob, QueueError> {
    let id = <[u8; 8]>::try_from(key.as_ref()).map_or(0, u64::from_be_bytes);
    serde_json::from_slice(&value).map_err(|_| QueueError::Damaged(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(job: u64) -> HeldJob {
        HeldJob {
            job,
            received_ms: 1,
            valid_ms: 60_000,
            topic: "wms/s1/printer/ps1/jobs".into(),
            frame: vec![1, 2, 3],
            phase: Phase::Queued,
            updated_ms: 1,
        }
    }

    #[test]
    fn jobs_are_taken_once_in_id_order_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let queue = StationQueue::open(dir.path(), 0).unwrap();
        assert!(matches!(queue.offer(held(2)).unwrap(), Offer::New(_)));
        assert!(matches!(queue.offer(held(1)).unwrap(), Offer::New(_)));
        assert!(matches!(queue.offer(held(2)).unwrap(), Offer::Known(_)));
        let first = queue.next_queued().unwrap().unwrap();
        assert_eq!(first.job, 1);
        let sending = queue.set_phase(first, Phase::Sending, 5).unwrap();
        assert_eq!(sending.frame, vec![1, 2, 3]);
        drop(queue);
        // Killed while sending job 1: it comes back unsure, never queued.
        let queue = StationQueue::open(dir.path(), 9).unwrap();
        assert_eq!(queue.next_queued().unwrap().unwrap().job, 2);
        let results = queue.recent_results(10).unwrap();
        assert_eq!(results[1].outcome, JobOutcome::Unsure("interrupted".into()));
        assert_eq!(results[1].at_ms, 9);
        let Offer::Known(known) = queue.offer(held(1)).unwrap() else {
            panic!("job 1 is known");
        };
        assert!(known.frame.is_empty(), "a final job keeps no label");
    }
}
