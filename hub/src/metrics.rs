//! Counters the hub exposes at `/metrics` in Prometheus text format.

use crate::pool::BatchOutcome;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Monotonic counters, shared by the writer, the MQTT shell and the API.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Batches that applied at least one movement.
    pub batches_applied: AtomicU64,
    /// Movements applied.
    pub movements_applied: AtomicU64,
    /// Batches that were already applied in full.
    pub batches_duplicate: AtomicU64,
    /// Batches that started past the watermark.
    pub batches_gap: AtomicU64,
    /// Batches refused because they differ from what was applied under
    /// the same (device, epoch, seq).
    pub batches_conflict: AtomicU64,
    /// Batches not applied because what was applied could not be read to
    /// compare them with.
    pub batches_unverified: AtomicU64,
    /// Payloads sent to dead letters.
    pub dead_letters: AtomicU64,
    /// Group commits (one flush each).
    pub commits: AtomicU64,
    /// Group commits that failed.
    pub commit_errors: AtomicU64,
    /// Acks published.
    pub acks_sent: AtomicU64,
    /// 1 while the hub's MQTT client holds its subscriptions, else 0.
    pub mqtt_subscribed: AtomicU64,
    /// Reservations held (new, not retries).
    pub reservations_held: AtomicU64,
    /// Reservations refused for want of stock or by the presale stop.
    pub reservations_refused: AtomicU64,
    /// Holds the sweeper expired.
    pub holds_expired: AtomicU64,
    /// Discrepancies recorded.
    pub discrepancies: AtomicU64,
    /// Authentic statuses ignored as older than the one held (replays).
    pub statuses_stale: AtomicU64,
    /// Times the embedded broker died or failed a probe and was restarted.
    pub broker_restarts: AtomicU64,
    /// 1 while the embedded broker process is up (started and not yet
    /// seen failing), else 0.
    pub broker_up: AtomicU64,
    /// Retained messages found on the site's topics and cleared.
    pub retained_cleared: AtomicU64,
    /// Publishes the hub's MQTT client received (they pass rumqttd's
    /// router): a broker that delivers is alive, however late it answers a
    /// probe.
    pub mqtt_publishes_in: AtomicU64,
    /// Devices in the registry the hub acts on (its last load of
    /// devices.json; the broker child loads the file on its own).
    pub registry_devices: AtomicU64,
    /// Of those, the active (not revoked) ones.
    pub registry_active: AtomicU64,
    /// That registry's generation (`devices::reload::generation`).
    pub registry_generation: AtomicU64,
    /// Commands waiting in the writer's queue when it last gathered a
    /// group (a hub falling behind shows here first).
    pub writer_queue: AtomicU64,
    /// Why the last group commit failed, until one succeeds again.
    commit_failure: Mutex<Option<String>>,
}

impl Metrics {
    /// Records the registry the hub acts on: (total, active) devices.
    pub fn registry_loaded(&self, (total, active): (usize, usize), generation: u64) {
        self.registry_devices.store(total as u64, Ordering::Relaxed);
        self.registry_active.store(active as u64, Ordering::Relaxed);
        self.registry_generation
            .store(generation, Ordering::Relaxed);
    }

    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds what the pool counted in a committed group.
    pub fn count_pool(&self, counts: crate::pool::PoolCounts) {
        let m = self;
        Metrics::add(&m.reservations_held, counts.held);
        Metrics::add(&m.reservations_refused, counts.refused);
        Metrics::add(&m.holds_expired, counts.expired);
        Metrics::add(&m.discrepancies, counts.discrepancies);
    }

    /// Counts one batch's outcome; conflicts and unverified batches are
    /// logged too (never the payload).
    pub fn count_batch(&self, outcome: BatchOutcome, batch: &protocol::EventBatch) {
        let m = self;
        match outcome {
            BatchOutcome::Applied { count, .. } => {
                Metrics::add(&m.batches_applied, 1);
                Metrics::add(&m.movements_applied, count as u64);
            }
            BatchOutcome::Duplicate { .. } => Metrics::add(&m.batches_duplicate, 1),
            BatchOutcome::Gap { .. } => Metrics::add(&m.batches_gap, 1),
            BatchOutcome::Conflict { seq, watermark } => {
                Metrics::add(&m.batches_conflict, 1);
                tracing::warn!(
                    device = %batch.device.escape_debug(),
                    epoch = %format!("{:016x}", batch.epoch),
                    first = batch.first_seq,
                    last = batch.last_seq(),
                    seq,
                    watermark,
                    "batch refused: it differs from what was applied under the same seqs"
                );
            }
            BatchOutcome::Unverified { watermark } => {
                Metrics::add(&m.batches_unverified, 1);
                tracing::error!(
                    device = %batch.device.escape_debug(),
                    first = batch.first_seq,
                    watermark,
                    "batch not applied: what was applied could not be read to compare"
                );
            }
        }
    }

    /// Records a failed group commit (shown by `/healthz` until the next
    /// commit succeeds).
    pub fn commit_failed(&self, error: &str) {
        Metrics::add(&self.commit_errors, 1);
        *self
            .commit_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
    }

    /// Records a successful group commit.
    pub fn commit_succeeded(&self) {
        Metrics::add(&self.commits, 1);
        let mut failure = self
            .commit_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if failure.is_some() {
            tracing::info!("group commits succeed again");
            *failure = None;
        }
    }

    /// Why group commits are failing, if the last one did.
    pub fn commit_failing(&self) -> Option<String> {
        self.commit_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the hub's MQTT client holds its subscriptions.
    pub fn is_subscribed(&self) -> bool {
        self.mqtt_subscribed.load(Ordering::Relaxed) == 1
    }

    /// Renders every counter in Prometheus text format.
    pub fn render(&self) -> String {
        let rows: [(&str, &AtomicU64, &str); 17] = [
            (
                "wms_batches_applied_total",
                &self.batches_applied,
                "Batches that applied movements",
            ),
            (
                "wms_movements_applied_total",
                &self.movements_applied,
                "Movements applied",
            ),
            (
                "wms_batches_duplicate_total",
                &self.batches_duplicate,
                "Batches already applied",
            ),
            (
                "wms_batches_gap_total",
                &self.batches_gap,
                "Batches past the watermark",
            ),
            (
                "wms_batches_conflict_total",
                &self.batches_conflict,
                "Batches refused: content differs from what was applied under the same seqs",
            ),
            (
                "wms_batches_unverified_total",
                &self.batches_unverified,
                "Batches not applied: the applied movements could not be read to compare",
            ),
            (
                "wms_dead_letters_total",
                &self.dead_letters,
                "Payloads refused",
            ),
            ("wms_group_commits_total", &self.commits, "Group commits"),
            (
                "wms_group_commit_errors_total",
                &self.commit_errors,
                "Failed group commits",
            ),
            ("wms_acks_sent_total", &self.acks_sent, "Acks published"),
            (
                "wms_reservations_held_total",
                &self.reservations_held,
                "Reservations held",
            ),
            (
                "wms_reservations_refused_total",
                &self.reservations_refused,
                "Reservations refused for want of stock",
            ),
            (
                "wms_holds_expired_total",
                &self.holds_expired,
                "Holds expired by the sweeper",
            ),
            (
                "wms_statuses_stale_total",
                &self.statuses_stale,
                "Authentic statuses ignored as older than the one held",
            ),
            (
                "wms_broker_restarts_total",
                &self.broker_restarts,
                "Embedded broker restarts (died or failed a probe)",
            ),
            (
                "wms_retained_cleared_total",
                &self.retained_cleared,
                "Retained messages someone left on the broker, cleared",
            ),
            (
                "wms_discrepancies_total",
                &self.discrepancies,
                "Scans the pool could not cover",
            ),
        ];
        let mut out = String::new();
        for (name, counter, help) in rows {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
        }
        let gauges = [
            (
                "wms_mqtt_subscribed",
                &self.mqtt_subscribed,
                "1 while the hub is subscribed to device topics",
            ),
            (
                "wms_broker_up",
                &self.broker_up,
                "1 while the embedded broker process is up (0 with an external broker)",
            ),
            (
                "wms_registry_devices",
                &self.registry_devices,
                "devices in the registry the hub last loaded",
            ),
            (
                "wms_registry_active_devices",
                &self.registry_active,
                "active (not revoked) devices in the registry the hub last loaded",
            ),
            (
                "wms_registry_generation",
                &self.registry_generation,
                "fingerprint of the registry the hub acts on (changes with every add, rotate, revoke)",
            ),
            (
                "wms_writer_queue",
                &self.writer_queue,
                "commands waiting in the writer's queue when it last gathered a group",
            ),
        ];
        for (name, gauge, help) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {}", gauge.load(Ordering::Relaxed));
        }
        out
    }
}
