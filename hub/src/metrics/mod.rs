//! What the hub counts and measures, shown at `/metrics` in Prometheus
//! text format by [`render`] (with the `prometheus-client` crate).
//!
//! The plain counters and gauges stay `AtomicU64` fields that the writer,
//! the MQTT shell and the API bump directly; they are read at each scrape.
//! Labelled counters and histograms are `prometheus-client` metrics (atomics
//! inside too). Gauges that are state (devices online, backlog, orders by
//! state) are counted when scraped ([`render`]) or, for what only the
//! writer can see, taken by the writer about once a second ([`Census`]).

mod render;

pub use render::{render, Scraped, CONTENT_TYPE};

use crate::pool::census::Census;
use crate::pool::BatchOutcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Labels of a batch count: what the hub did with it (WIRE.md §3.9).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// applied, duplicate, gap, conflict or unverified.
    pub outcome: &'static str,
}

/// Labels of an HTTP request's time: a bounded set (route templates, a
/// few methods, status classes).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    /// GET, POST, ... or "other".
    pub method: &'static str,
    /// The route's template (`/api/v1/orders/{id}`), or "unmatched".
    pub route: String,
    /// 2xx, 3xx, 4xx or 5xx.
    pub status: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds_histogram() -> Histogram {
    // 100 us to about 6.5 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// Counters and measurements, shared by the writer, the MQTT shell and the
/// API.
#[derive(Debug)]
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
    /// Frames refused as forged: from an unknown or revoked device,
    /// unsigned, or failing their device's MAC (also dead letters).
    pub forged_refused: AtomicU64,
    /// Size of sled's data file at the upkeep's last round, bytes.
    pub store_data_file_bytes: AtomicU64,
    /// Relocation passes finished ([`crate::store::relocate`]).
    pub store_relocation_passes: AtomicU64,
    /// Records those passes wrote back.
    pub store_records_relocated: AtomicU64,
    /// Compactions of the store since it was created.
    pub store_compactions: AtomicU64,
    /// Batches by outcome.
    pub batches: Family<OutcomeLabel, Counter>,
    /// Seconds from a batch's arrival at the hub's MQTT client to the
    /// publish of the ack that covers it.
    pub ack_latency: Histogram,
    /// Commands in each group the writer gathered.
    pub group_commands: Histogram,
    /// Seconds each flush (making written groups durable) took.
    pub flush_seconds: Histogram,
    /// Seconds each HTTP request took, by route.
    pub http_seconds: HistogramFamily<RouteLabel>,
    /// Why the last group commit failed, until one succeeds again.
    commit_failure: Mutex<Option<String>>,
    /// The writer's last head count of the pool.
    census: Mutex<Census>,
}

/// Every batch outcome, shown from the start (at 0).
const OUTCOMES: [&str; 5] = ["applied", "duplicate", "gap", "conflict", "unverified"];

impl Default for Metrics {
    fn default() -> Metrics {
        let metrics = Metrics {
            batches_applied: AtomicU64::default(),
            movements_applied: AtomicU64::default(),
            batches_duplicate: AtomicU64::default(),
            batches_gap: AtomicU64::default(),
            batches_conflict: AtomicU64::default(),
            batches_unverified: AtomicU64::default(),
            dead_letters: AtomicU64::default(),
            commits: AtomicU64::default(),
            commit_errors: AtomicU64::default(),
            acks_sent: AtomicU64::default(),
            mqtt_subscribed: AtomicU64::default(),
            reservations_held: AtomicU64::default(),
            reservations_refused: AtomicU64::default(),
            holds_expired: AtomicU64::default(),
            discrepancies: AtomicU64::default(),
            statuses_stale: AtomicU64::default(),
            broker_restarts: AtomicU64::default(),
            broker_up: AtomicU64::default(),
            retained_cleared: AtomicU64::default(),
            mqtt_publishes_in: AtomicU64::default(),
            registry_devices: AtomicU64::default(),
            registry_active: AtomicU64::default(),
            registry_generation: AtomicU64::default(),
            writer_queue: AtomicU64::default(),
            forged_refused: AtomicU64::default(),
            store_data_file_bytes: AtomicU64::default(),
            store_relocation_passes: AtomicU64::default(),
            store_records_relocated: AtomicU64::default(),
            store_compactions: AtomicU64::default(),
            batches: Family::default(),
            ack_latency: seconds_histogram(),
            // 1 to 16,384 commands.
            group_commands: Histogram::new(exponential_buckets(1.0, 2.0, 15)),
            flush_seconds: seconds_histogram(),
            http_seconds: Family::new_with_constructor(seconds_histogram),
            commit_failure: Mutex::default(),
            // Every state at 0 until the writer's first census.
            census: Mutex::new(crate::pool::Pool::default().census()),
        };
        for outcome in OUTCOMES {
            drop(metrics.batches.get_or_create(&OutcomeLabel { outcome }));
        }
        metrics
    }
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
        let outcome_label = match outcome {
            BatchOutcome::Applied { .. } => "applied",
            BatchOutcome::Duplicate { .. } => "duplicate",
            BatchOutcome::Gap { .. } => "gap",
            BatchOutcome::Conflict { .. } => "conflict",
            BatchOutcome::Unverified { .. } => "unverified",
        };
        let label = OutcomeLabel {
            outcome: outcome_label,
        };
        m.batches.get_or_create(&label).inc();
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

    /// Records the time from a batch's arrival to its ack's publish.
    pub fn ack_published(&self, arrived: Instant) {
        self.ack_latency.observe(arrived.elapsed().as_secs_f64());
    }

    /// Keeps the writer's latest head count of the pool.
    pub fn set_census(&self, census: Census) {
        *self.census.lock().unwrap_or_else(|e| e.into_inner()) = census;
    }

    /// The writer's latest head count of the pool.
    pub fn census(&self) -> Census {
        self.census
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
