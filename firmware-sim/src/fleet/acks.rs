//! Scan-to-ack latency of one handheld: from the moment a scan is handed
//! to the journal to the moment the hub's ack covering it is back on the
//! device, and whether a fault (Wi-Fi drop, power loss) touched it.
//!
//! Why a scan is registered before it is recorded: on loopback the ack can
//! be back before `Journal::record` has even returned to the caller, so the
//! expected sequence number (the device is the only writer of its journal)
//! is registered first and withdrawn if the read was refused.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Debug, Default)]
struct Inner {
    /// (seq, scanned at, untouched by faults so far), in seq order.
    pending: VecDeque<(u64, Instant, bool)>,
    all: Vec<Duration>,
    clean: Vec<Duration>,
}

/// One device's latency book; clones share it.
#[derive(Debug, Clone, Default)]
pub struct AckClock(Arc<Mutex<Inner>>);

impl AckClock {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A scan that is about to be recorded as `seq` at `at`; `clean` if no
    /// fault is active.
    pub fn expect(&self, seq: u64, at: Instant, clean: bool) {
        self.inner().pending.push_back((seq, at, clean));
    }

    /// The scan expected as `seq` was not recorded after all.
    pub fn withdraw(&self, seq: u64) {
        self.inner().pending.retain(|&(s, _, _)| s != seq);
    }

    /// A fault began: every scan still waiting is no longer clean.
    pub fn fault(&self) {
        for entry in &mut self.inner().pending {
            entry.2 = false;
        }
    }

    /// The hub acknowledged everything through `through`, seen at `now`.
    pub fn settle(&self, through: u64, now: Instant) {
        let mut inner = self.inner();
        while let Some(&(seq, at, clean)) = inner.pending.front() {
            if seq > through {
                break;
            }
            inner.pending.pop_front();
            let latency = now.saturating_duration_since(at);
            inner.all.push(latency);
            if clean {
                inner.clean.push(latency);
            }
        }
    }

    /// The samples so far: (all, fault-free).
    pub fn take_samples(&self) -> (Vec<Duration>, Vec<Duration>) {
        let mut inner = self.inner();
        (
            std::mem::take(&mut inner.all),
            std::mem::take(&mut inner.clean),
        )
    }
}

/// Settles `clock` on every ack until the publisher behind `acked` ends;
/// adds the movements newly acknowledged to `total`.
pub async fn watch_acks(mut acked: watch::Receiver<u64>, clock: AckClock, total: Arc<AtomicU64>) {
    let mut last = *acked.borrow_and_update();
    while acked.changed().await.is_ok() {
        let through = *acked.borrow_and_update();
        clock.settle(through, Instant::now());
        total.fetch_add(through.saturating_sub(last), Ordering::Relaxed);
        last = last.max(through);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settles_in_order_and_faults_taint_waiting_scans() {
        let clock = AckClock::default();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        clock.expect(1, ms(0), true);
        clock.expect(2, ms(10), true);
        clock.expect(3, ms(20), true);
        clock.withdraw(3);
        clock.settle(1, ms(5));
        clock.fault();
        clock.expect(3, ms(30), true);
        clock.settle(3, ms(40));
        let (all, clean) = clock.take_samples();
        let ms = Duration::from_millis;
        assert_eq!(all, vec![ms(5), ms(30), ms(10)]);
        assert_eq!(clean, vec![ms(5), ms(10)]);
    }
}
