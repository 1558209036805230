//! The hub's long-running tasks, by name, watched: a task that ends while
//! the hub is meant to run is a dead part. Health names it, and the hub
//! shuts down and exits non-zero, so its supervisor (the systemd unit in
//! the README) starts it again from the store, rather than it running on
//! half-dead with `/healthz` saying ok.

use crate::health::Health;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::error;

/// Named tasks and the token that stops them all.
pub struct Parts {
    set: JoinSet<()>,
    names: HashMap<Id, &'static str>,
    health: Arc<Health>,
    cancel: CancellationToken,
}

impl Parts {
    /// No tasks yet.
    pub fn new(health: Arc<Health>, cancel: CancellationToken) -> Parts {
        Parts {
            set: JoinSet::new(),
            names: HashMap::new(),
            health,
            cancel,
        }
    }

    /// Runs `task` as the part `name`.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = self.set.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Waits for every part to end. Returns the first that ended (or
    /// panicked) before the hub was cancelled; that also cancels the hub.
    pub async fn watch(mut self) -> Option<&'static str> {
        let mut first_dead = None;
        while let Some(ended) = self.set.join_next_with_id().await {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    fn parts(cancel: &CancellationToken) -> (Parts, Arc<Health>) {
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let dir = std::env::temp_dir();
        let floor = crate::health::DiskFloor {
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
    async fn parts_ending_after_cancel_are_a_clean_stop() {
        let cancel = CancellationToken::new();
        let (mut parts, _) = parts(&cancel);
        let c = cancel.clone();
        parts.spawn("waits", async move { c.cancelled().await });
        cancel.cancel();
        assert_eq!(parts.watch().await, None);
    }
}
