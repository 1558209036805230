//! Keeping a swarm's devices connected together until every one is done,
//! and timing when they had all connected once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long, after every device is done, the swarm waits for devices that
/// are reconnecting at that moment to be connected again.
pub const SETTLE: Duration = Duration::from_secs(30);

/// Keeps every device connected until all are done, and counts how many
/// are connected together from then on.
pub(super) struct Together {
    total: usize,
    start: Instant,
    done: AtomicUsize,
    /// Devices that have connected at least once.
    ever_up: AtomicUsize,
    /// When the last of them first connected.
    pub(super) all_up: OnceLock<Duration>,
    /// Devices connected now.
    live: watch::Sender<u64>,
    /// The most connected together since every device was done.
    pub(super) live_at_end: AtomicU64,
    all_done: watch::Sender<bool>,
}

impl Together {
    pub(super) fn new(total: usize, start: Instant) -> Arc<Together> {
        Arc::new(Together {
            total,
            start,
            done: Default::default(),
            ever_up: Default::default(),
            all_up: Default::default(),
            live: watch::channel(0).0,
            live_at_end: AtomicU64::new(0),
            all_done: watch::channel(false).0,
        })
    }

    /// One more device is done.
    pub(super) fn finish(&self) {
        if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
            self.all_done.send_replace(true);
            self.note_live();
        }
    }

    /// A device connected for the first time.
    pub(super) fn first_connect(&self) {
        if self.ever_up.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
            let _ = self.all_up.set(self.start.elapsed());
        }
    }

    /// A connection came up (`true`) or went down.
    pub(super) fn connected(&self, up: bool) {
        self.live.send_modify(|n| {
            *n = if up { *n + 1 } else { n.saturating_sub(1) };
        });
        if *self.all_done.borrow() {
            self.note_live();
        }
    }

    fn note_live(&self) {
        let live = *self.live.borrow();
        self.live_at_end.fetch_max(live, Ordering::SeqCst);
    }

    /// Waits (at most `limit`) until every device is done, then (at most
    /// [`SETTLE`]) until all of them are connected together.
    pub(super) async fn wait_all(&self, limit: Duration) {
        let mut done = self.all_done.subscribe();
        if tokio::time::timeout(limit, done.wait_for(|d| *d))
            .await
            .is_err()
        {
            return;
        }
        let total = self.total as u64;
        let mut live = self.live.subscribe();
        let _ = tokio::time::timeout(SETTLE, live.wait_for(|&n| n >= total)).await;
    }
}
