//! Counters the hub exposes at `/metrics` in Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

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
}

impl Metrics {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether the hub's MQTT client holds its subscriptions.
    pub fn is_subscribed(&self) -> bool {
        self.mqtt_subscribed.load(Ordering::Relaxed) == 1
    }

    /// Renders every counter in Prometheus text format.
    pub fn render(&self) -> String {
        let rows: [(&str, &AtomicU64, &str); 13] = [
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
        let name = "wms_mqtt_subscribed";
        let _ = writeln!(
            out,
            "# HELP {name} 1 while the hub is subscribed to device topics\n# TYPE {name} gauge"
        );
        let _ = writeln!(
            out,
            "{name} {}",
            self.mqtt_subscribed.load(Ordering::Relaxed)
        );
        out
    }
}
