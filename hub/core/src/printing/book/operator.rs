//! What a person does to the print book: reprint a failed or unsure job,
//! close one (printed after all, or given up), and read a batch's progress.

use super::super::model::{BatchProgress, JobRecord, JobState, PrintEffect, PrintError};
use super::PrintBook;

impl PrintBook {
    /// An operator reprints a failed or unsure job (at the best station of
    /// its group, its own included); the new job's id.
    pub fn reprint(&mut self, id: u64, now: u64) -> Result<u64, PrintError> {
        let job = self.jobs.get(&id).ok_or(PrintError::NoJob(id))?;
        if !matches!(job.state, JobState::Failed(_) | JobState::Unsure(_)) {
            return Err(wrong(
                id,
                &job.state,
                "only a failed or unsure job is reprinted",
            ));
        }
        let station = job.station.clone();
        self.troubled.remove(&station);
        if !self.move_job(id, true, now) {
            let group = self
                .rules
                .group_of(&station)
                .unwrap_or_default()
                .to_string();
            return Err(PrintError::NoStation(group));
        }
        match self.jobs.get(&id).map(|j| &j.state) {
            Some(JobState::Moved(new)) => Ok(*new),
            _ => Err(PrintError::NoJob(id)),
        }
    }

    /// An operator confirms an unsure job printed (`printed`) or closes a
    /// failed or unsure one without printing.
    pub fn close(
        &mut self,
        id: u64,
        printed: bool,
        now: u64,
    ) -> Result<Vec<PrintEffect>, PrintError> {
        let job = self.jobs.get(&id).ok_or(PrintError::NoJob(id))?;
        if !matches!(job.state, JobState::Failed(_) | JobState::Unsure(_)) {
            return Err(wrong(
                id,
                &job.state,
                "only a failed or unsure job is closed",
            ));
        }
        let (order, tracking, carrier) = (job.order, job.tracking.clone(), job.carrier.clone());
        let note = if printed {
            "confirmed printed"
        } else {
            "cancelled"
        };
        self.set_state(
            id,
            JobState::Closed(note.to_string()),
            note.to_string(),
            now,
        );
        Ok(if printed {
            vec![PrintEffect::Labelled {
                order,
                carrier,
                tracking,
            }]
        } else {
            Vec::new()
        })
    }

    /// How far a batch got, from its unfinished jobs and `done` (the
    /// finished ones, read from the store by the caller).
    pub fn progress<'a>(jobs: impl IntoIterator<Item = &'a JobRecord>) -> BatchProgress {
        let mut p = BatchProgress::default();
        for job in jobs {
            let slot = match job.state {
                JobState::Sent => &mut p.sent,
                JobState::Queued => &mut p.queued,
                JobState::Printed => &mut p.printed,
                JobState::Failed(_) => &mut p.failed,
                JobState::Unsure(_) => &mut p.unsure,
                JobState::Moved(_) => &mut p.moved,
                JobState::Closed(_) => &mut p.closed,
            };
            *slot += 1;
            if !matches!(job.state, JobState::Moved(_)) {
                p.labels += 1;
            }
        }
        p
    }
}

fn wrong(job: u64, state: &JobState, rule: &'static str) -> PrintError {
    PrintError::WrongState {
        job,
        state: state.as_str(),
        rule,
    }
}
