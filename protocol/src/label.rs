//! Label jobs (hub -> printer station) and label reports (station -> hub).
//!
//! A label job carries one shipping label, already rendered as ZPL II, to
//! one printer station, sealed to that station (recipient addresses never
//! cross the broker in clear). The station answers with signed reports of
//! what became of its jobs. Reports are idempotent facts ("job 12 printed
//! at t"), so a station may send the same one again at every connect and
//! the hub never needs to acknowledge them: that is also how the hub learns
//! a station is back and re-sends what it has not yet confirmed.

use crate::validate::{check_id, ValidationError};
use serde::{Deserialize, Serialize};

/// Largest ZPL document in one job, in bytes.
pub const MAX_ZPL_BYTES: usize = 64 * 1024;
/// Most labels in one batch.
pub const MAX_BATCH_LABELS: u32 = 1000;
/// Most job results in one report.
pub const MAX_REPORT_RESULTS: usize = 500;
/// Longest tracking number, in bytes (ASCII letters and digits only).
pub const MAX_TRACKING_LEN: usize = 40;
/// Longest time a station may hold a job before printing it, in ms (a day).
pub const MAX_VALID_MS: u32 = 86_400_000;
/// Longest failure reason word, in bytes (`a-z`, `0-9`, `_`).
pub const MAX_REASON_LEN: usize = 32;

/// One label to print, hub -> station on
/// `wms/{site}/printer/{station}/jobs`, always sealed (kind 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelJob {
    /// Site id; must match the topic's site segment.
    pub site: String,
    /// Printer station id; must match the topic's station segment.
    pub station: String,
    /// The job id, unique within the hub for life and never 0. A station
    /// prints each id at most once, however often it receives it.
    pub job: u64,
    /// The label batch the job belongs to.
    pub batch: u64,
    /// The label's place in its batch, 1 to `batch_size`: stations print
    /// in job id order, which is batch order.
    pub position: u32,
    /// How many labels the batch has.
    pub batch_size: u32,
    /// The order the label is for.
    pub order: u64,
    /// The tracking (waybill) number on the label.
    pub tracking: String,
    /// How long after receiving the job the station may still start
    /// printing it, in ms (1 to 86 400 000). Past that the station reports
    /// it failed (`expired`) and never prints it: the hub moves a job that
    /// a silent station may hold only after this time, so a station that
    /// comes back late never prints a label another station printed.
    pub valid_ms: u32,
    /// The label, ZPL II: one format, `^XA` ... `^XZ`.
    pub zpl: String,
}

/// What became of jobs, station -> hub on
/// `wms/{site}/printer/{station}/done`, signed like a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelReport {
    /// Site id; must match the topic's site segment.
    pub site: String,
    /// Printer station id; must match the topic's station segment.
    pub station: String,
    /// Results, any order, at most [`MAX_REPORT_RESULTS`]; may be empty
    /// (a station that just connected and holds nothing says so).
    pub results: Vec<JobResult>,
    /// HMAC-SHA256 under the station's key, exactly as for
    /// [`crate::EventBatch::auth_tag`]: always last, over every byte before it.
    pub auth_tag: Option<[u8; 32]>,
}

/// The state of one job at the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResult {
    /// The job id.
    pub job: u64,
    /// What happened to it.
    pub outcome: JobOutcome,
    /// The station's clock when that happened, ms since the Unix epoch.
    pub at_ms: u64,
}

/// What happened to a job at a station.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobOutcome {
    /// Stored durably in the station's queue; not printed yet.
    Queued,
    /// Sent to the printer, which reported no problem before or after.
    Printed,
    /// Not printed, for the reason (a word such as `paper_out`,
    /// `head_open`, `no_answer`): safe to print elsewhere.
    Failed(String),
    /// Perhaps printed, perhaps not (the printer failed after taking the
    /// label, or the station stopped while sending): never printed again
    /// without a person looking.
    Unsure(String),
}

impl JobOutcome {
    /// The lowercase word used in logs and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            JobOutcome::Queued => "queued",
            JobOutcome::Printed => "printed",
            JobOutcome::Failed(_) => "failed",
            JobOutcome::Unsure(_) => "unsure",
        }
    }

    /// The reason of a failed or unsure outcome.
    pub fn reason(&self) -> Option<&str> {
        match self {
            JobOutcome::Failed(reason) | JobOutcome::Unsure(reason) => Some(reason),
            JobOutcome::Queued | JobOutcome::Printed => None,
        }
    }
}

impl LabelJob {
    /// Checks the ids, the place in the batch, the tracking number and that
    /// the ZPL is one bounded format. That `site` and `station` are the
    /// recipient's is checked when the job is opened ([`crate::sealed::open`]).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("station", &self.station)?;
        let bad = |problem| {
            Err(ValidationError::BadLabelJob {
                job: self.job,
                problem,
            })
        };
        if self.job == 0 {
            return bad("job id 0 is not a job");
        }
        if !(1..=MAX_BATCH_LABELS).contains(&self.batch_size) {
            return bad("a batch has 1 to 1000 labels");
        }
        if !(1..=self.batch_size).contains(&self.position) {
            return bad("the position is 1 to the batch size");
        }
        if !valid_tracking(&self.tracking) {
            return bad("a tracking number is 1 to 40 ASCII letters and digits");
        }
        if !(1..=MAX_VALID_MS).contains(&self.valid_ms) {
            return bad("valid_ms is 1 to 86400000 (a day)");
        }
        if self.zpl.len() > MAX_ZPL_BYTES {
            return bad("the ZPL is longer than 65536 bytes");
        }
        let zpl = self.zpl.trim();
        if !zpl.starts_with("^XA") || !zpl.ends_with("^XZ") || zpl.matches("^XA").count() != 1 {
            return bad("the ZPL is not exactly one ^XA ... ^XZ format");
        }
        Ok(())
    }
}

/// Whether `tracking` can be a tracking number on the wire.
pub fn valid_tracking(tracking: &str) -> bool {
    (1..=MAX_TRACKING_LEN).contains(&tracking.len())
        && tracking.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl LabelReport {
    /// Checks the ids, the size and every reason word. The tag is checked
    /// by the hub, which holds the keys.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("station", &self.station)?;
        if self.results.len() > MAX_REPORT_RESULTS {
            return Err(ValidationError::ReportTooLarge(self.results.len()));
        }
        for result in &self.results {
            if result.job == 0 {
                return Err(ValidationError::BadJobResult {
                    job: 0,
                    problem: "job id 0 is not a job",
                });
            }
            if let Some(reason) = result.outcome.reason() {
                if !valid_reason(reason) {
                    return Err(ValidationError::BadJobResult {
                        job: result.job,
                        problem: "a reason is 1 to 32 of a-z, 0-9 and _",
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether `reason` is a reason word: 1 to 32 of `a-z`, `0-9`, `_`.
pub fn valid_reason(reason: &str) -> bool {
    (1..=MAX_REASON_LEN).contains(&reason.len())
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> LabelJob {
        LabelJob {
            site: "s1".into(),
            station: "ps1".into(),
            job: 7,
            batch: 2,
            position: 1,
            batch_size: 3,
            order: 42,
            tracking: "SF1234567890".into(),
            valid_ms: 60_000,
            zpl: "^XA^FO10,10^FDhello^FS^XZ".into(),
        }
    }

    #[test]
    fn a_good_job_passes_and_each_broken_field_is_refused() {
        assert_eq!(job().validate(), Ok(()));
        let breaks: Vec<fn(&mut LabelJob)> = vec![
            |j| j.job = 0,
            |j| j.batch_size = 0,
            |j| j.batch_size = MAX_BATCH_LABELS + 1,
            |j| j.position = 0,
            |j| j.position = 4,
            |j| j.tracking = String::new(),
            |j| j.tracking = "SF 123".into(),
            |j| j.tracking = "x".repeat(41),
            |j| j.valid_ms = 0,
            |j| j.valid_ms = MAX_VALID_MS + 1,
            |j| j.zpl = "^FDno start^XZ".into(),
            |j| j.zpl = "^XA^FDa^XZ^XA^FDb^XZ".into(),
            |j| j.zpl = format!("^XA{}^XZ", "x".repeat(MAX_ZPL_BYTES)),
            |j| j.station = "a/b".into(),
            |j| j.site = String::new(),
        ];
        for (i, broken) in breaks.into_iter().enumerate() {
            let mut j = job();
            broken(&mut j);
            assert!(j.validate().is_err(), "break {i} passed");
        }
    }

    #[test]
    fn reports_check_size_and_reason_words() {
        let result = |job, outcome| JobResult {
            job,
            outcome,
            at_ms: 1,
        };
        let mut report = LabelReport {
            site: "s1".into(),
            station: "ps1".into(),
            results: vec![
                result(1, JobOutcome::Printed),
                result(2, JobOutcome::Failed("paper_out".into())),
                result(3, JobOutcome::Unsure("head_open".into())),
            ],
            auth_tag: None,
        };
        assert_eq!(report.validate(), Ok(()));
        for bad in ["", "Paper", "paper out", &"x".repeat(33)] {
            report.results[1].outcome = JobOutcome::Failed(bad.into());
            assert!(report.validate().is_err(), "{bad:?} passed");
        }
        report.results = vec![result(0, JobOutcome::Queued)];
        assert!(report.validate().is_err());
        report.results = vec![result(1, JobOutcome::Queued); MAX_REPORT_RESULTS + 1];
        assert!(report.validate().is_err());
    }
}
