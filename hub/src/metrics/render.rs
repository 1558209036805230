//! `/metrics` in Prometheus text format (version 0.0.4), encoded by the
//! `prometheus-client` crate. A registry is built per scrape: the labelled
//! metrics and histograms are registered as clones (they share their
//! atomics), and a [`Snapshot`] collector carries what is read at the
//! scrape: the plain counters and gauges, the fleet's presence, and the
//! writer's last census of the pool.

use super::Metrics;
use crate::devices::fleet::Fleet;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use protocol::DeviceState;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// The content type of what [`render`] returns.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// What one scrape reads besides the metrics themselves.
#[derive(Debug, Clone, Copy)]
pub struct Scraped<'a> {
    /// Live device presence (devices online, backlog).
    pub fleet: &'a Fleet,
}

/// One value read at the scrape: (name without `_total`, help, value).
type Row = (&'static str, &'static str, u64);

/// A gauge family read at the scrape: name, help, label key, values.
type Gauges = (
    &'static str,
    &'static str,
    &'static str,
    BTreeMap<&'static str, u64>,
);

/// What is read at the scrape, encoded when the registry is.
#[derive(Debug, Default)]
struct Snapshot {
    counters: Vec<Row>,
    gauges: Vec<Row>,
    families: Vec<Gauges>,
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for &(name, help, value) in &self.counters {
            let metric = ConstCounter::new(value);
            let m = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
            metric.encode(m)?;
        }
        for &(name, help, value) in &self.gauges {
            let metric = ConstGauge::new(value);
            let m = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
            metric.encode(m)?;
        }
        for (name, help, key, values) in &self.families {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (label, &value) in values {
                let labels = [(*key, *label)];
                ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// Every metric in Prometheus text format.
pub fn render(metrics: &Metrics, scraped: Scraped<'_>) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    register_measured(&mut registry, metrics);
    let mut snapshot = Snapshot {
        counters: counters(metrics),
        gauges: gauges(metrics),
        families: fleet_gauges(scraped.fleet),
    };
    snapshot.families.extend(census_gauges(metrics));
    registry.register_collector(Box::new(snapshot));
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
    Ok(out)
}

/// The labelled counters and the histograms (clones share their atomics).
fn register_measured(registry: &mut Registry, m: &Metrics) {
    registry.register(
        "wms_batches",
        "Batches by what the hub did with them (applied, duplicate, gap, conflict, unverified)",
        m.batches.clone(),
    );
    registry.register(
        "wms_ack_latency_seconds",
        "From a batch's arrival at the hub's MQTT client to the publish of its ack",
        m.ack_latency.clone(),
    );
    registry.register(
        "wms_group_commit_commands",
        "Commands in each group the writer gathered (one write and at most one flush each)",
        m.group_commands.clone(),
    );
    registry.register(
        "wms_group_commit_flush_seconds",
        "Time each flush took to make the written groups durable",
        m.flush_seconds.clone(),
    );
    registry.register(
        "wms_http_request_duration_seconds",
        "HTTP requests by method, route template and status class, until the answer's head",
        m.http_seconds.clone(),
    );
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

fn counters(m: &Metrics) -> Vec<Row> {
    vec![
        (
            "wms_batches_applied",
            "Batches that applied movements",
            load(&m.batches_applied),
        ),
        (
            "wms_movements_applied",
            "Movements applied",
            load(&m.movements_applied),
        ),
        (
            "wms_batches_duplicate",
            "Batches already applied",
            load(&m.batches_duplicate),
        ),
        (
            "wms_batches_gap",
            "Batches past the watermark",
            load(&m.batches_gap),
        ),
        (
            "wms_batches_conflict",
            "Batches refused: content differs from what was applied under the same seqs",
            load(&m.batches_conflict),
        ),
        (
            "wms_batches_unverified",
            "Batches not applied: the applied movements could not be read to compare",
            load(&m.batches_unverified),
        ),
        (
            "wms_dead_letters",
            "Payloads refused",
            load(&m.dead_letters),
        ),
        (
            "wms_forged_frames_refused",
            "Frames refused as forged: unknown or revoked device, unsigned, or a failing MAC",
            load(&m.forged_refused),
        ),
        ("wms_group_commits", "Group commits", load(&m.commits)),
        (
            "wms_group_commit_errors",
            "Failed group commits",
            load(&m.commit_errors),
        ),
        ("wms_acks_sent", "Acks published", load(&m.acks_sent)),
        (
            "wms_reservations_held",
            "Reservations held",
            load(&m.reservations_held),
        ),
        (
            "wms_reservations_refused",
            "Reservations refused for want of stock",
            load(&m.reservations_refused),
        ),
        (
            "wms_holds_expired",
            "Holds expired by the sweeper",
            load(&m.holds_expired),
        ),
        (
            "wms_statuses_stale",
            "Authentic statuses ignored as older than the one held",
            load(&m.statuses_stale),
        ),
        (
            "wms_broker_restarts",
            "Embedded broker restarts (died or failed a probe)",
            load(&m.broker_restarts),
        ),
        (
            "wms_retained_cleared",
            "Retained messages someone left on the broker, cleared",
            load(&m.retained_cleared),
        ),
        (
            "wms_discrepancies",
            "Scans the pool could not cover",
            load(&m.discrepancies),
        ),
        (
            "wms_store_relocation_passes",
            "Passes that rewrote the store's records so sled could reuse its data file's space",
            load(&m.store_relocation_passes),
        ),
        (
            "wms_store_records_relocated",
            "Records the relocation passes wrote back",
            load(&m.store_records_relocated),
        ),
        (
            "wms_store_compactions",
            "Times the store was copied into a fresh database to give back its data file's space",
            load(&m.store_compactions),
        ),
    ]
}

fn gauges(m: &Metrics) -> Vec<Row> {
    vec![
        (
            "wms_mqtt_subscribed",
            "1 while the hub is subscribed to device topics",
            load(&m.mqtt_subscribed),
        ),
        (
            "wms_broker_up",
            "1 while the embedded broker process is up (0 with an external broker)",
            load(&m.broker_up),
        ),
        (
            "wms_registry_devices",
            "devices in the registry the hub last loaded",
            load(&m.registry_devices),
        ),
        (
            "wms_registry_active_devices",
            "active (not revoked) devices in the registry the hub last loaded",
            load(&m.registry_active),
        ),
        (
            "wms_registry_generation",
            "fingerprint of the registry the hub acts on (changes with every add, rotate, revoke)",
            load(&m.registry_generation),
        ),
        (
            "wms_store_data_file_bytes",
            "Size of the store's sled data file at the upkeep's last round (every 2 s)",
            load(&m.store_data_file_bytes),
        ),
        (
            "wms_writer_queue",
            "commands waiting in the writer's queue when it last gathered a group",
            load(&m.writer_queue),
        ),
    ]
}

/// Devices heard from since the hub started, and the movements they
/// reported still to send, by online or offline.
fn fleet_gauges(fleet: &Fleet) -> Vec<Gauges> {
    let mut devices = BTreeMap::from([("online", 0), ("offline", 0)]);
    let mut backlog = devices.clone();
    for presence in fleet.all().values() {
        let state = match presence.state {
            DeviceState::Online => "online",
            DeviceState::Offline => "offline",
        };
        *devices.entry(state).or_insert(0) += 1;
        *backlog.entry(state).or_insert(0) += presence.backlog;
    }
    vec![
        (
            "wms_devices",
            "Devices heard from since the hub started, by their last status",
            "state",
            devices,
        ),
        (
            "wms_device_backlog",
            "Movements devices last reported still to send, by the device's last status",
            "state",
            backlog,
        ),
    ]
}

/// The writer's last census of the pool.
fn census_gauges(m: &Metrics) -> Vec<Gauges> {
    let census = m.census();
    vec![
        (
            "wms_orders",
            "Orders the writer holds (open ones; shipped and cancelled leave once stored), by state",
            "state",
            census.orders,
        ),
        (
            "wms_reservations_active",
            "Active reservations, by state",
            "state",
            census.reservations,
        ),
        (
            "wms_tasks",
            "Work tasks held, open or closed",
            "state",
            census.tasks,
        ),
        (
            "wms_label_jobs",
            "Unfinished label jobs, by state",
            "state",
            census.label_jobs,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::Status;

    fn status(device: &str, state: DeviceState, backlog: u64) -> Status {
        Status {
            site: "s1".into(),
            device: device.into(),
            session_ms: 1,
            state,
            backlog,
            battery_pct: None,
            device_time_ms: 1,
            epoch: 0,
            acked_seq: 0,
            app_version: "test".into(),
            signal_dbm: None,
            auth_tag: None,
        }
    }

    #[test]
    fn a_scrape_shows_counters_families_fleet_and_histograms() {
        let metrics = Metrics::default();
        Metrics::add(&metrics.movements_applied, 7);
        metrics.group_commands.observe(3.0);
        let fleet = Fleet::default();
        fleet.record(&status("d1", DeviceState::Online, 5), 1);
        fleet.record(&status("d2", DeviceState::Offline, 40), 1);
        let text = render(&metrics, Scraped { fleet: &fleet }).expect("rendered");
        for line in [
            "# TYPE wms_movements_applied_total counter",
            "wms_movements_applied_total 7",
            "wms_batches_total{outcome=\"conflict\"} 0",
            "wms_devices{state=\"online\"} 1",
            "wms_device_backlog{state=\"offline\"} 40",
            "wms_orders{state=\"shipped\"} 0",
            "wms_group_commit_commands_count 1",
            "# TYPE wms_ack_latency_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
        }
    }
}
