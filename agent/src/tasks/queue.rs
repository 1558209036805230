//! [`TaskQueue`]: the device's work queue, durable in the journal's sled
//! database, around the pure [`QueueState`].
//!
//! Why a shell around plain data: the rules (newer versions only, local
//! marks) are tested without a disk in [`super::state`]; this file only
//! makes each change durable before it is visible, so a task ack never
//! names a version a power cut could take back (WIRE.md §3.10), and
//! keeps the state in memory so the UI reads it without touching sled.
//!
//! Open one queue per journal and clone it (clones share it): the
//! publisher's own is [`crate::PublisherHandle::tasks`].

use super::state::{LineProgress, MarkError, Offer, Progress, QueueState};
use super::store;
use crate::journal::{Journal, JournalError};
use protocol::{TaskList, TaskRef, ValidationError};
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;
use tracing::{error, info};

/// Why the work queue could not be read or changed.
#[derive(Debug, Error)]
pub enum TaskQueueError {
    /// The journal's database failed (a full disk, a replaced directory);
    /// nothing changed.
    #[error("cannot store the work queue: {0}")]
    Storage(#[from] JournalError),
    /// The stored queue is damaged: refused, as a damaged journal is.
    #[error("the stored work queue is damaged: {0}")]
    Damaged(String),
    /// The list breaks a rule of WIRE.md §4; the queue held is kept.
    #[error("task list refused: {0}")]
    Invalid(#[from] ValidationError),
    /// The scan names no line of the queue, or an impossible quantity.
    #[error("{0}")]
    Mark(#[from] MarkError),
}

/// The device's work queue. Cheap to clone: clones share one queue.
#[derive(Debug, Clone)]
pub struct TaskQueue {
    journal: Journal,
    held: Arc<Mutex<Held>>,
}

/// The queue in memory, and the journal epoch it was read in: a journal
/// whose directory was replaced under the agent is another database, and
/// its queue is read again.
#[derive(Debug)]
struct Held {
    epoch: u64,
    state: QueueState,
}

fn load(journal: &Journal) -> Result<QueueState, TaskQueueError> {
    let read = journal.read_tasks(|tree| Ok(store::load(tree)))?;
    read.map_err(TaskQueueError::Damaged)
}

impl TaskQueue {
    /// The queue stored with `journal`, checked (see [`super::store`]).
    pub fn open(journal: &Journal) -> Result<TaskQueue, TaskQueueError> {
        let epoch = journal.epoch();
        let state = load(journal)?;
        Ok(TaskQueue {
            journal: journal.clone(),
            held: Arc::new(Mutex::new(Held { epoch, state })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        // Every change is computed on a copy and swapped in whole, so a
        // panic elsewhere cannot leave the state torn.
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let epoch = self.journal.epoch();
        if held.epoch != epoch {
            let state = load(&self.journal).unwrap_or_else(|e| {
                error!(error = %e, "the replaced journal's work queue cannot be read; \
                       holding none until the hub sends one");
                QueueState::default()
            });
            info!(
                version = state.version(),
                "journal replaced: work queue read again"
            );
            *held = Held { epoch, state };
        }
        held
    }

    /// A copy of the whole queue (list and local marks).
    pub fn state(&self) -> QueueState {
        self.lock().state.clone()
    }

    /// The task list held, if any.
    pub fn current(&self) -> Option<TaskList> {
        self.lock().state.list().cloned()
    }

    /// The version held (0 before the first list).
    pub fn version(&self) -> u64 {
        self.lock().state.version()
    }

    /// The first line that still needs work, in the list's order.
    pub fn next_open_line(&self) -> Option<LineProgress> {
        self.lock().state.next_open_line()
    }

    /// Line `at` and how far it got.
    pub fn line(&self, at: TaskRef) -> Option<LineProgress> {
        self.lock().state.line(at)
    }

    /// Lines done and lines in all.
    pub fn progress(&self) -> Progress {
        self.lock().state.progress()
    }

    /// Offers an authentic list: a newer one replaces the queue and is
    /// synced to disk before this returns; anything else changes nothing.
    /// Either way, acknowledge [`Offer::held`].
    pub fn offer(&self, list: TaskList) -> Result<Offer, TaskQueueError> {
        self.change(|state| Ok(state.offer(list)?))
    }

    /// Records, durably, that this device scanned `quantity` on line `at`
    /// (see [`QueueState::mark_done`]), so the UI shows the progress before
    /// the hub's next list.
    pub fn mark_done(&self, at: TaskRef, quantity: i64) -> Result<LineProgress, TaskQueueError> {
        self.change(|state| Ok(state.mark_done(at, quantity)?))
    }

    /// Applies `change` to a copy, stores the copy if it differs, and only
    /// then makes it the queue.
    fn change<T>(
        &self,
        change: impl FnOnce(&mut QueueState) -> Result<T, TaskQueueError>,
    ) -> Result<T, TaskQueueError> {
        let mut held = self.lock();
        let mut next = held.state.clone();
        let answer = change(&mut next)?;
        if next != held.state {
            let batch = store::batch_for(&next).map_err(TaskQueueError::Damaged)?;
            self.journal.write_tasks(batch)?;
            held.state = next;
        }
        Ok(answer)
    }
}
