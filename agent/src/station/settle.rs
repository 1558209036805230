//! What a print attempt means for the job, pure: printed, failed (safe to
//! print elsewhere) or unsure (perhaps printed), from the printer's host
//! status on each side of the job.
//!
//! Raw port 9100 never acknowledges a label, so the rule is read from the
//! status after sending: no problem means printed. A problem after sending
//! is read further: if the printer's buffer is empty and no label is left
//! in its batch, our format was consumed before the problem arose (paper
//! ran out after our label), so it printed; if the format still sits in the
//! buffer, it has not printed and is cancelled (`~JA`) so it cannot come
//! out later, when someone reloads the paper, after the hub has moved the
//! job elsewhere. Anything else, no answer included, is unsure.

use crate::printer::{JobStage, PrintFailure, PrintOutcome};
use crate::station::queue::Phase;

/// What to do after a print attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Record this phase.
    Phase(Phase),
    /// The job is still in the printer's buffer: cancel it, and then it
    /// failed for this reason (unsure if the cancel does not take).
    Cancel(String),
}

/// Reads one print attempt.
pub fn settle(result: &Result<PrintOutcome, PrintFailure>) -> Settlement {
    let failure = match result {
        Ok(_) => return Settlement::Phase(Phase::Printed),
        Err(failure) => failure,
    };
    let reason = failure.reason.as_str().to_string();
    if !failure.maybe_printed {
        return Settlement::Phase(Phase::Failed(reason));
    }
    match (failure.stage, &failure.status) {
        (JobStage::After, Some(status)) => {
            if status.formats_in_buffer > 0 || status.labels_remaining > 0 {
                Settlement::Cancel(reason)
            } else {
                Settlement::Phase(Phase::Printed)
            }
        }
        _ => Settlement::Phase(Phase::Unsure(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::{FailureReason, HostStatus, PrinterProblem};

    fn failure(stage: JobStage, maybe: bool, status: Option<HostStatus>) -> PrintFailure {
        PrintFailure {
            reason: FailureReason::Problem(PrinterProblem::PaperOut),
            stage,
            maybe_printed: maybe,
            cause: None,
            status,
        }
    }

    fn paper_out(buffered: u32) -> HostStatus {
        HostStatus {
            paper_out: true,
            formats_in_buffer: buffered,
            ..HostStatus::default()
        }
    }

    #[test]
    fn each_attempt_reads_as_the_rule_says() {
        let ok = PrintOutcome {
            before: HostStatus::default(),
            after: HostStatus::default(),
        };
        let failed = Settlement::Phase(Phase::Failed("paper_out".into()));
        let cases = [
            (Ok(ok), Settlement::Phase(Phase::Printed)),
            (
                Err(failure(JobStage::Before, false, Some(paper_out(0)))),
                failed,
            ),
            (
                Err(failure(JobStage::After, true, Some(paper_out(0)))),
                Settlement::Phase(Phase::Printed),
            ),
            (
                Err(failure(JobStage::After, true, Some(paper_out(1)))),
                Settlement::Cancel("paper_out".into()),
            ),
            (
                Err(failure(JobStage::After, true, None)),
                Settlement::Phase(Phase::Unsure("paper_out".into())),
            ),
            (
                Err(failure(JobStage::Send, true, None)),
                Settlement::Phase(Phase::Unsure("paper_out".into())),
            ),
        ];
        for (i, (attempt, want)) in cases.into_iter().enumerate() {
            assert_eq!(settle(&attempt), want, "case {i}");
        }
    }
}
