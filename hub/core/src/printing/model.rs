//! Label batches and label jobs as the hub keeps them (issue 16): what was
//! asked for, where each label went, and what became of it.
//!
//! A job's label travels as opaque bytes here (`zpl`): the shell seals the
//! rendered ZPL under the batch's own data key before it reaches the core
//! or the store, because a label carries the recipient's name, phone and
//! address, which are never at rest in clear.

use serde::{Deserialize, Serialize};

/// Printer stations and how long a silent one keeps its jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintRules {
    /// (station, group): stations of one group stand in for each other.
    pub stations: Vec<(String, String)>,
    /// How long after it was last heard from a station's unfinished jobs
    /// move to another station of its group, in ms. Also the `valid_ms`
    /// a job carries (WIRE.md §3.16), so a station that comes back later
    /// never prints a moved job.
    pub failover_ms: u64,
}

impl PrintRules {
    /// The group `station` belongs to.
    pub fn group_of(&self, station: &str) -> Option<&str> {
        self.stations
            .iter()
            .find(|(s, _)| s == station)
            .map(|(_, g)| g.as_str())
    }

    /// The stations of `group`, in configured order.
    pub fn stations_in<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.stations
            .iter()
            .filter(move |(_, g)| g == group)
            .map(|(s, _)| s.as_str())
    }
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Published to its station (again at each of the station's reports)
    /// until the station says it holds it.
    Sent,
    /// The station holds it durably and will print it.
    Queued,
    /// The station printed it: done.
    Printed,
    /// Not printed (the reason), and no other station could take it yet.
    Failed(String),
    /// Perhaps printed: waits for an operator (reprint or confirm).
    Unsure(String),
    /// Given to another station as job `.0` (after a failure or silence).
    Moved(u64),
    /// An operator confirmed an unsure job as printed, or cancelled it.
    Closed(String),
}

impl JobState {
    /// The word used in JSON and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            JobState::Sent => "sent",
            JobState::Queued => "queued",
            JobState::Printed => "printed",
            JobState::Failed(_) => "failed",
            JobState::Unsure(_) => "unsure",
            JobState::Moved(_) => "moved",
            JobState::Closed(_) => "closed",
        }
    }

    /// Still to be printed by its station (sent or queued there).
    pub fn is_live(&self) -> bool {
        matches!(self, JobState::Sent | JobState::Queued)
    }
}

/// One step of a job's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStep {
    /// When (hub time, ms).
    pub at_ms: u64,
    /// What happened, e.g. `sent to ps1`, `failed: paper_out`.
    pub what: String,
}

/// One label to print at one station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Job id (never 0), unique for life.
    pub id: u64,
    /// Its batch.
    pub batch: u64,
    /// Its place in the batch, from 1.
    pub position: u32,
    /// The order the label is for.
    pub order: u64,
    /// The tracking number printed.
    pub tracking: String,
    /// The carrier printed.
    pub carrier: String,
    /// Labels in its batch.
    pub batch_size: u32,
    /// The station it is (or was last) given to.
    pub station: String,
    /// Where it is.
    pub state: JobState,
    /// When it was made.
    pub created_ms: u64,
    /// When its state last changed.
    pub updated_ms: u64,
    /// Its history.
    pub steps: Vec<JobStep>,
    /// The rendered label, sealed by the shell (opaque here).
    pub zpl: Vec<u8>,
}

/// One batch of labels, printed with one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Batch id.
    pub id: u64,
    /// The station group that prints it.
    pub group: String,
    /// Who asked for it (the API token's name).
    pub by: String,
    /// When.
    pub created_ms: u64,
    /// Its first jobs, in batch order (moved jobs get new ids, listed in
    /// each job's `Moved`).
    pub jobs: Vec<u64>,
    /// The batch's data key, wrapped by the shell (opaque here).
    pub key: Vec<u8>,
}

/// A label to add to a new batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabel {
    /// The order.
    pub order: u64,
    /// Its tracking number.
    pub tracking: String,
    /// Its carrier.
    pub carrier: String,
    /// The rendered label, sealed.
    pub zpl: Vec<u8>,
}

/// How far a batch got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchProgress {
    /// Labels in the batch.
    pub labels: u32,
    /// Sent, not yet held by a station.
    pub sent: u32,
    /// Held by a station.
    pub queued: u32,
    /// Printed.
    pub printed: u32,
    /// Failed with nowhere to go.
    pub failed: u32,
    /// Perhaps printed, waiting for an operator.
    pub unsure: u32,
    /// Moved to another station (each also counts where it went).
    pub moved: u32,
    /// Closed by an operator.
    pub closed: u32,
}

/// What one group changed, for the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintChanges {
    /// Jobs made or changed.
    pub jobs: Vec<JobRecord>,
    /// Batches made.
    pub batches: Vec<BatchRecord>,
    /// The next job id after these.
    pub next_job: u64,
    /// The next batch id after these.
    pub next_batch: u64,
}

impl PrintChanges {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.batches.is_empty()
    }
}

/// What the store hands back at start: the jobs not finished yet (and the
/// batches they belong to), and the id counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintParts {
    /// Jobs that are sent, queued, failed or unsure.
    pub jobs: Vec<JobRecord>,
    /// Their batches.
    pub batches: Vec<BatchRecord>,
    /// Next job id (0: none made yet).
    pub next_job: u64,
    /// Next batch id.
    pub next_batch: u64,
}

/// Something the pool must do because of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintEffect {
    /// The order's label is printed.
    Labelled {
        /// The order.
        order: u64,
        /// The carrier on it.
        carrier: String,
        /// The tracking number on it.
        tracking: String,
    },
    /// An operator must look: a job failed with nowhere to go, is unsure,
    /// or a moved job was printed where it was first sent.
    Attention {
        /// The job.
        job: u64,
        /// The station.
        station: String,
        /// Why, e.g. `paper_out`.
        reason: String,
    },
}

/// Why a batch cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// No station belongs to the group.
    #[error("no printer station in group {0:?}")]
    NoStation(String),
    /// A batch with no labels.
    #[error("a label batch needs at least one order")]
    Empty,
    /// More labels than a batch may hold.
    #[error("a label batch holds at most {max} labels, not {found}")]
    TooLarge {
        /// The limit.
        max: u32,
        /// What was asked.
        found: usize,
    },
    /// No such job.
    #[error("no label job {0}")]
    NoJob(u64),
    /// The job is not in a state the command applies to.
    #[error("label job {job} is {state}: {rule}")]
    WrongState {
        /// The job.
        job: u64,
        /// Its state word.
        state: &'static str,
        /// What the command needs.
        rule: &'static str,
    },
}
