//! The print book: label batches turned into jobs at stations, the
//! stations' reports applied exactly once, and failover (issue 16).
//!
//! Rules that keep a label from being lost or printed twice overall:
//! * a job is printed at most once per job id by its station (the
//!   station's promise, WIRE.md §3.16), and a job moves to another
//!   station only with a new id, and only when the first station cannot
//!   print it: it reported the job failed (not printed), or it has been
//!   silent for longer than the job's `valid_ms`, after which it would
//!   report the job `expired` rather than print it;
//! * a job reported unsure (perhaps printed) never moves by itself: an
//!   operator reprints it or confirms it;
//! * a station that failed a job takes no moved jobs until it prints
//!   again, so a failure does not bounce between two broken printers;
//!   its first failure raises an alert (someone must load paper), and so
//!   does every job left with nowhere to go.

use super::model::{
    BatchRecord, JobRecord, JobState, JobStep, NewLabel, PrintChanges, PrintEffect, PrintError,
    PrintParts, PrintRules,
};
use protocol::label::MAX_BATCH_LABELS;
use protocol::{JobOutcome, JobResult};
use std::collections::{BTreeMap, BTreeSet};

/// Batches, their unfinished jobs, and when each station was last heard.
#[derive(Debug, Default)]
pub struct PrintBook {
    rules: PrintRules,
    batches: BTreeMap<u64, BatchRecord>,
    jobs: BTreeMap<u64, JobRecord>,
    seen: BTreeMap<String, u64>,
    troubled: BTreeSet<String>,
    started_ms: u64,
    next_job: u64,
    next_batch: u64,
    dirty_jobs: BTreeSet<u64>,
    dirty_batches: BTreeSet<u64>,
    to_send: BTreeSet<String>,
    /// When each job still `Sent` was last published (this process).
    sent_at: BTreeMap<u64, u64>,
}

/// A job not yet held by its station is published again after this long
/// (at the station's next report or the next sweep), never on every
/// report: a station acknowledging a batch of 1000 jobs one by one must
/// not get the rest re-sent a thousand times.
pub const RESEND_AFTER_MS: u64 = 2_000;

impl PrintBook {
    /// The book as stored, under `rules`; `now` counts as every station's
    /// last contact (none is moved from before it had a chance to report).
    pub fn load(parts: PrintParts, rules: PrintRules, now: u64) -> PrintBook {
        let mut book = PrintBook {
            rules,
            started_ms: now,
            next_job: parts.next_job.max(1),
            next_batch: parts.next_batch.max(1),
            ..PrintBook::default()
        };
        for job in parts.jobs {
            if job.state == JobState::Sent {
                book.to_send.insert(job.station.clone());
            }
            book.jobs.insert(job.id, job);
        }
        book.batches = parts.batches.into_iter().map(|b| (b.id, b)).collect();
        book
    }

    /// Puts `rules` in force; `now` counts as every station's last
    /// contact.
    pub fn set_rules(&mut self, rules: PrintRules, now: u64) {
        self.rules = rules;
        self.started_ms = now;
    }

    /// The orders with a label job not finished (sent, queued, failed or
    /// unsure).
    pub fn orders_with_open_jobs(&self) -> BTreeSet<u64> {
        self.jobs.values().map(|j| j.order).collect()
    }

    /// The rules in force.
    pub fn rules(&self) -> &PrintRules {
        &self.rules
    }

    /// The id the next batch will get.
    pub fn next_batch_id(&self) -> u64 {
        self.next_batch.max(1)
    }

    /// A job, while unfinished.
    pub fn job(&self, id: u64) -> Option<&JobRecord> {
        self.jobs.get(&id)
    }

    /// Every unfinished job, by id.
    pub fn jobs(&self) -> impl Iterator<Item = &JobRecord> {
        self.jobs.values()
    }

    /// A batch that still has unfinished jobs.
    pub fn batch(&self, id: u64) -> Option<&BatchRecord> {
        self.batches.get(&id)
    }

    /// Makes batch [`Self::next_batch_id`] of `labels` (in print order),
    /// all given to the best station of `group`.
    pub fn create_batch(
        &mut self,
        group: &str,
        by: &str,
        key: Vec<u8>,
        labels: Vec<NewLabel>,
        now: u64,
    ) -> Result<u64, PrintError> {
        if labels.is_empty() {
            return Err(PrintError::Empty);
        }
        if labels.len() > MAX_BATCH_LABELS as usize {
            return Err(PrintError::TooLarge {
                max: MAX_BATCH_LABELS,
                found: labels.len(),
            });
        }
        let station = self
            .best_station(group, None, now)
            .ok_or_else(|| PrintError::NoStation(group.to_string()))?;
        let id = self.next_batch_id();
        self.next_batch = id + 1;
        let size = labels.len() as u32;
        let mut jobs = Vec::with_capacity(labels.len());
        for (i, label) in labels.into_iter().enumerate() {
            let place = (i as u32 + 1, size);
            let job = self.new_job(id, place, label, &station, now);
            jobs.push(job);
        }
        let batch = BatchRecord {
            id,
            group: group.to_string(),
            by: by.to_string(),
            created_ms: now,
            jobs,
            key,
        };
        self.batches.insert(id, batch);
        self.dirty_batches.insert(id);
        Ok(id)
    }

    fn new_job(
        &mut self,
        batch: u64,
        (position, batch_size): (u32, u32),
        label: NewLabel,
        station: &str,
        now: u64,
    ) -> u64 {
        let id = self.next_job.max(1);
        self.next_job = id + 1;
        let job = JobRecord {
            id,
            batch,
            position,
            order: label.order,
            tracking: label.tracking,
            carrier: label.carrier,
            batch_size,
            station: station.to_string(),
            state: JobState::Sent,
            created_ms: now,
            updated_ms: now,
            steps: vec![step(now, format!("sent to {station}"))],
            zpl: label.zpl,
        };
        self.jobs.insert(id, job);
        self.dirty_jobs.insert(id);
        self.to_send.insert(station.to_string());
        self.sent_at.insert(id, now);
        id
    }

    /// The station of `group` to give work to: one heard from within the
    /// failover time and not failing, with the fewest unfinished jobs;
    /// else (none heard from yet) the first configured one not failing.
    fn best_station(&self, group: &str, except: Option<&str>, now: u64) -> Option<String> {
        let usable = |s: &&str| Some(*s) != except && !self.troubled.contains(*s);
        let alive = self
            .rules
            .stations_in(group)
            .filter(usable)
            .filter(|s| self.alive(s, now))
            .min_by_key(|s| {
                self.jobs
                    .values()
                    .filter(|j| j.station == *s && j.state.is_live())
                    .count()
            });
        if let Some(station) = alive {
            return Some(station.to_string());
        }
        let never_seen = |s: &&str| !self.seen.contains_key(*s);
        let fallback = self
            .rules
            .stations_in(group)
            .filter(usable)
            .find(never_seen);
        fallback.map(str::to_string)
    }

    fn last_heard(&self, station: &str) -> u64 {
        self.seen.get(station).copied().unwrap_or(self.started_ms)
    }

    fn alive(&self, station: &str, now: u64) -> bool {
        self.seen.contains_key(station)
            && now.saturating_sub(self.last_heard(station)) <= self.rules.failover_ms
    }

    /// Applies a station's report: each result at most once per job and
    /// state. Any report also means the station is there, so its jobs not
    /// yet held are sent again.
    pub fn report(&mut self, station: &str, results: &[JobResult], now: u64) -> Vec<PrintEffect> {
        self.seen.insert(station.to_string(), now);
        let mut effects = Vec::new();
        for result in results {
            self.apply_result(station, result, now, &mut effects);
        }
        self.resend_stale(station, now);
        effects
    }

    fn apply_result(
        &mut self,
        station: &str,
        result: &JobResult,
        now: u64,
        effects: &mut Vec<PrintEffect>,
    ) {
        let Some(job) = self.jobs.get(&result.job) else {
            return;
        };
        if job.station != station || !job.state.is_live() {
            return;
        }
        let (next, what) = match &result.outcome {
            JobOutcome::Queued if job.state == JobState::Sent => {
                (JobState::Queued, "queued".to_string())
            }
            JobOutcome::Queued => return,
            JobOutcome::Printed => (JobState::Printed, "printed".to_string()),
            JobOutcome::Failed(r) => (JobState::Failed(r.clone()), format!("failed: {r}")),
            JobOutcome::Unsure(r) => (JobState::Unsure(r.clone()), format!("unsure: {r}")),
        };
        let (order, tracking, carrier) = (job.order, job.tracking.clone(), job.carrier.clone());
        self.set_state(result.job, next.clone(), what, now);
        match next {
            JobState::Printed => {
                self.troubled.remove(station);
                effects.push(PrintEffect::Labelled {
                    order,
                    carrier,
                    tracking,
                });
            }
            JobState::Failed(reason) => {
                // A printer in trouble needs a person (paper, ribbon, the
                // head): said once per episode, and again for every job
                // that has nowhere else to go.
                let newly = self.troubled.insert(station.to_string());
                let moved = self.move_job(result.job, false, now);
                if newly || !moved {
                    effects.push(attention(result.job, station, &reason));
                }
            }
            JobState::Unsure(reason) => effects.push(attention(result.job, station, &reason)),
            _ => {}
        }
    }

    /// Publishes again the jobs `station` does not hold yet, if one of
    /// them was last published [`RESEND_AFTER_MS`] ago or more.
    fn resend_stale(&mut self, station: &str, now: u64) {
        let waiting: Vec<u64> = self
            .jobs
            .values()
            .filter(|j| j.station == station && j.state == JobState::Sent)
            .map(|j| j.id)
            .collect();
        let stale = waiting.iter().any(|id| {
            let at = self.sent_at.get(id).copied().unwrap_or(0);
            now.saturating_sub(at) >= RESEND_AFTER_MS
        });
        if stale {
            self.to_send.insert(station.to_string());
            for id in waiting {
                self.sent_at.insert(id, now);
            }
        }
    }

    fn set_state(&mut self, id: u64, state: JobState, what: String, now: u64) {
        if state != JobState::Sent {
            self.sent_at.remove(&id);
        }
        if let Some(job) = self.jobs.get_mut(&id) {
            job.state = state;
            job.updated_ms = now;
            job.steps.push(step(now, what));
            if matches!(job.state, JobState::Printed | JobState::Closed(_)) {
                job.zpl.clear();
            }
            self.dirty_jobs.insert(id);
        }
    }

    /// Gives job `id` as a new job to another usable station of its group
    /// (or, with `own`, possibly its own); false (and nothing changed)
    /// when there is none.
    fn move_job(&mut self, id: u64, own: bool, now: u64) -> bool {
        let Some(job) = self.jobs.get(&id) else {
            return false;
        };
        let group = self
            .rules
            .group_of(&job.station)
            .unwrap_or_default()
            .to_string();
        let except = (!own).then_some(job.station.as_str());
        let Some(to) = self.best_station(&group, except, now) else {
            return false;
        };
        let label = NewLabel {
            order: job.order,
            tracking: job.tracking.clone(),
            carrier: job.carrier.clone(),
            zpl: job.zpl.clone(),
        };
        let (batch, place) = (job.batch, (job.position, job.batch_size));
        let new = self.new_job(batch, place, label, &to, now);
        self.set_state(
            id,
            JobState::Moved(new),
            format!("moved to {to} as job {new}"),
            now,
        );
        if let Some(old) = self.jobs.get_mut(&id) {
            old.zpl.clear();
        }
        true
    }

    /// Moves the unfinished jobs of stations silent for longer than the
    /// failover time, and failed jobs once a usable station exists; sends
    /// again what live stations have not taken for [`RESEND_AFTER_MS`].
    pub fn sweep(&mut self, now: u64) {
        let failover = self.rules.failover_ms;
        let due: Vec<u64> = self
            .jobs
            .values()
            .filter(|j| match &j.state {
                JobState::Sent | JobState::Queued => {
                    let quiet_since = self.last_heard(&j.station).max(j.updated_ms);
                    now.saturating_sub(quiet_since) > failover
                }
                JobState::Failed(_) => true,
                _ => false,
            })
            .map(|j| j.id)
            .collect();
        for id in due {
            self.move_job(id, false, now);
        }
        // Frames lost while a station stayed connected: sent again once
        // stale, to stations still heard from.
        let alive: Vec<String> = self
            .seen
            .keys()
            .filter(|s| self.alive(s, now))
            .cloned()
            .collect();
        for station in alive {
            self.resend_stale(&station, now);
        }
    }

    /// Stations with jobs to publish since the last call.
    pub fn take_sends(&mut self) -> Vec<String> {
        std::mem::take(&mut self.to_send).into_iter().collect()
    }

    /// What changed since the last call. Finished jobs leave memory here
    /// (the store keeps them), and so do batches with no job left.
    pub fn take_changes(&mut self) -> PrintChanges {
        let jobs: Vec<JobRecord> = std::mem::take(&mut self.dirty_jobs)
            .into_iter()
            .filter_map(|id| self.jobs.get(&id).cloned())
            .collect();
        let batches = std::mem::take(&mut self.dirty_batches)
            .into_iter()
            .filter_map(|id| self.batches.get(&id).cloned())
            .collect();
        for job in &jobs {
            if matches!(
                job.state,
                JobState::Printed | JobState::Moved(_) | JobState::Closed(_)
            ) {
                self.jobs.remove(&job.id);
                self.sent_at.remove(&job.id);
            }
        }
        let open: BTreeSet<u64> = self.jobs.values().map(|j| j.batch).collect();
        self.batches.retain(|id, _| open.contains(id));
        PrintChanges {
            jobs,
            batches,
            next_job: self.next_job.max(1),
            next_batch: self.next_batch.max(1),
        }
    }

    /// The jobs to publish to `station` (sent, not yet held), in id order.
    pub fn pending(&self, station: &str) -> Vec<&JobRecord> {
        self.jobs
            .values()
            .filter(|j| j.station == station && j.state == JobState::Sent)
            .collect()
    }
}

fn step(at_ms: u64, what: String) -> JobStep {
    JobStep { at_ms, what }
}

fn attention(job: u64, station: &str, reason: &str) -> PrintEffect {
    PrintEffect::Attention {
        job,
        station: station.to_string(),
        reason: reason.to_string(),
    }
}

mod operator;

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
