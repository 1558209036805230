//! The one piece of state shared by the test thread and the thread serving
//! the mount: the model under a mutex, and a condition variable signalled
//! whenever a handle closes.
//!
//! Why a condition variable: `cut()` must wait until the kernel has released
//! every file of a killed process, which happens asynchronously just after
//! the kill; it waits on this condition with a deadline instead of sleeping.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use fuser::FileHandle;

use crate::state::State;

/// The model plus the condition `cut()` waits on for handles to close.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    released: Condvar,
}

impl Shared {
    pub(crate) fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            released: Condvar::new(),
        }
    }

    /// The model; a panic elsewhere while holding the lock does not poison it
    /// for good (the model has no invariant a half-done call can break badly).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no handle is open; on timeout returns how many still are.
    /// (The kernel sends RELEASE asynchronously, shortly after a killed
    /// process's files are closed.)
    pub(crate) fn wait_closed(&self, timeout: Duration) -> Result<(), usize> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.open_handles() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(state.open_handles());
            }
            state = match self.released.wait_timeout(state, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        Ok(())
    }

    pub(crate) fn release(&self, fh: FileHandle) {
        // An unknown handle is not worth an error: the kernel ignores it.
        let _ = self.lock().release(fh.0);
        self.released.notify_all();
    }
}
