//! The hub's long-running tasks, by name, watched: a task that ends while
//! the hub is meant to run is a dead part. Health names it, and the hub
//! shuts down and exits non-zero, so its supervisor (the systemd unit in
//! the README) starts it again from the store, rather than it running on
//! half-dead with `/healthz` saying ok.
//!
//! A part that is still there but stuck shows by its silence
//! ([`crate::beat`]): past its patience `/healthz` names it; past
//! [`STUCK_TIMES`] its patience it counts as dead, as above. Parts that do
//! not stop within [`STOP_GRACE`] of the hub's cancellation are aborted,
//! so a stuck part cannot hold the hub's exit up either.

use crate::beat::Beat;
use crate::health::Health;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::error;

/// A part silent for this many times its patience is taken for dead.
pub const STUCK_TIMES: u32 = 3;

/// How long parts have to stop once the hub is cancelled.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Named tasks and the token that stops them all.
pub struct Parts {
    set: JoinSet<()>,
    names: HashMap<Id, &'static str>,
    health: Arc<Health>,
    cancel: CancellationToken,
    grace: Duration,
}

impl Parts {
    /// No tasks yet.
    pub fn new(health: Arc<Health>, cancel: CancellationToken) -> Parts {
        Parts {
            set: JoinSet::new(),
            names: HashMap::new(),
            health,
            cancel,
            grace: STOP_GRACE,
        }
    }

    /// Gives parts `grace` (instead of [`STOP_GRACE`]) to stop.
    pub fn stop_grace(mut self, grace: Duration) -> Parts {
        self.grace = grace;
        self
    }

    /// Runs `task` as the part `name`.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = self.set.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Runs the part `name`, which calls [`Beat::now`] at least every
    /// `patience` while it works.
    pub fn spawn_beating<F, T>(&mut self, name: &'static str, patience: Duration, task: T)
    where
        T: FnOnce(Beat) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let beat = self.health.beat(name, patience);
        self.spawn(name, task(beat));
    }

    /// Waits for every part to end. Returns the first that ended,
    /// panicked or went silent before the hub was cancelled; that also
    /// cancels the hub.
    pub async fn watch(mut self) -> Option<&'static str> {
        let mut first_dead = None;
        let mut look = tokio::time::interval(Duration::from_secs(1));
        let stopping = self.cancel.clone();
        let mut deadline = None;
        let mut aborted = false;
        loop {
            let ended = tokio::select! {
                ended = self.set.join_next_with_id() => ended,
                _ = look.tick(), if deadline.is_none() => {
                    if stopping.is_cancelled() {
                        deadline = Some(tokio::time::Instant::now() + self.grace);
                    } else if let Some(stuck) = self.health.silent(STUCK_TIMES).first() {
                        error!(part = stuck.part, %stuck, "a part of the hub is stuck; shutting down");
                        first_dead.get_or_insert(stuck.part);
                        self.cancel.cancel();
                    }
                    continue;
                }
                _ = sleep_until(deadline), if !aborted => {
                    error!(grace_ms = self.grace.as_millis() as u64, "parts still running after the stop grace; aborted");
                    self.set.abort_all();
                    aborted = true;
                    continue;
                }
            };
            let Some(ended) = ended else { break };
            let (id, how) = match ended {
                Ok((id, ())) => (id, "stopped"),
                Err(e) => (
                    e.id(),
                    if e.is_panic() {
                        "panicked"
                    } else {
                        "was aborted"
                    },
                ),
            };
            if self.cancel.is_cancelled() {
                continue;
            }
            let name = self.names.get(&id).copied().unwrap_or("a hub task");
            error!(
                part = name,
                how, "a part of the hub ended while it should run; shutting down"
            );
            self.health.stopped(name);
            first_dead.get_or_insert(name);
            self.cancel.cancel();
        }
        first_dead
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    fn parts(cancel: &CancellationToken) -> (Parts, Arc<Health>) {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let dir = std::env::temp_dir();
        let floor = crate::store::floor::DiskFloor {
            dir,
            min_free_bytes: 0,
        };
        let health = Arc::new(Health::new(Arc::new(Metrics::default()), &tx, floor));
        (Parts::new(health.clone(), cancel.clone()), health)
    }

    #[tokio::test]
    async fn a_part_that_ends_early_is_named_and_stops_the_rest() {
        let cancel = CancellationToken::new();
        let (mut parts, health) = parts(&cancel);
        let c = cancel.clone();
        parts.spawn("waits", async move { c.cancelled().await });
        parts.spawn("sweeper", async {});
        assert_eq!(parts.watch().await, Some("sweeper"));
        assert!(cancel.is_cancelled());
        assert!(health
            .problems()
            .await
            .contains(&"sweeper: stopped".to_string()));
    }

    #[tokio::test]
    async fn a_panicking_part_is_named_too() {
        let cancel = CancellationToken::new();
        let (mut parts, _) = parts(&cancel);
        parts.spawn("http", async { panic!("boom") });
        assert_eq!(parts.watch().await, Some("http"));
    }

    #[tokio::test]
    async fn a_silent_part_is_named_then_taken_for_dead_and_aborted() {
        let cancel = CancellationToken::new();
        let (parts, health) = parts(&cancel);
        let mut parts = parts.stop_grace(Duration::from_millis(200));
        let patience = Duration::from_secs(1);
        parts.spawn_beating("lively", patience, |beat| {
            let c = cancel.clone();
            async move {
                let mut tick = tokio::time::interval(Duration::from_millis(50));
                while !c.is_cancelled() {
                    beat.now();
                    tick.tick().await;
                }
            }
        });
        // Beats twice, then hangs on something that never comes, deaf to
        // cancellation too.
        parts.spawn_beating("stuck", patience, |beat| async move {
            beat.now();
            tokio::time::sleep(Duration::from_millis(100)).await;
            beat.now();
            std::future::pending::<()>().await
        });
        let watched = tokio::spawn(parts.watch());
        let named = async {
            loop {
                let found = health.problems().await;
                if found.iter().any(|p| p.starts_with("stuck: no progress")) {
                    return found;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let found = tokio::time::timeout(Duration::from_secs(30), named)
            .await
            .expect("health names the silent part");
        assert!(!found.iter().any(|p| p.starts_with("lively")), "{found:?}");
        // Past three times its patience: dead, the hub is cancelled, and
        // the part that ignores it is aborted after the grace.
        let dead = tokio::time::timeout(Duration::from_secs(30), watched)
            .await
            .expect("the stuck part was aborted")
            .unwrap();
        assert_eq!(dead, Some("stuck"));
        assert!(cancel.is_cancelled());
    }

    #[tokio::test]
    async fn parts_ending_after_cancel_are_a_clean_stop() {
        let cancel = CancellationToken::new();
        let (mut parts, _) = parts(&cancel);
        let c = cancel.clone();
        parts.spawn("waits", async move { c.cancelled().await });
        cancel.cancel();
        assert_eq!(parts.watch().await, None);
    }
}
