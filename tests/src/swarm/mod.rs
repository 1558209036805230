//! A swarm of lightweight devices on one hub: thousands of real MQTT
//! connections over TCP from one process, each sending heartbeats and
//! batches of movements as a handheld does and waiting for the hub's acks.
//! Used by the 5,000-device load test and the `bench swarm` benchmark.
//!
//! Each device is a rumqttc client, not a full agent (no journal): the
//! point is the hub's side of many connections, which an agent's journal
//! would not change. Agents' own memory is measured by `bench agent-memory`.

use crate::identity::AckOpener;
use protocol::{DeviceCredentials, DeviceKey, Movement, MovementKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a swarm run is asked to do.
#[derive(Debug, Clone)]
pub struct SwarmPlan {
    /// Broker address.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Site of every device.
    pub site: String,
    /// The devices, as `hub device add --out` issued them (all of `site`).
    pub devices: Vec<DeviceCredentials>,
    /// Batches each device sends, one movement each, one after the other.
    pub rounds: u64,
    /// Time between a device's heartbeats.
    pub heartbeat: Duration,
    /// Give up on a device after this long without its ack.
    pub deadline: Duration,
    /// Devices connect spread evenly over this time (a fleet coming back
    /// after a hub restart, not all in one millisecond).
    pub ramp: Duration,
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct SwarmReport {
    /// Devices that got every ack.
    pub completed: usize,
    /// Devices that did not (with the first few reasons).
    pub failed: Vec<String>,
    /// Time until every device had its first ack.
    pub all_connected: Duration,
    /// Time until every device had had its first CONNACK (`None` if some
    /// never connected).
    pub all_up: Option<Duration>,
    /// Publish-to-ack latency of every batch after each device's first,
    /// over an established connection, sorted.
    pub latencies: Vec<Duration>,
    /// Each device's first batch: from its first publish (queued while
    /// connecting) to its ack, so connecting and subscribing too; sorted.
    pub first_acks: Vec<Duration>,
    /// Each device's first batch from its first CONNACK to its ack (the
    /// subscribe, the publish, the hub and the ack, without the wait to
    /// be let in); sorted.
    pub after_connect: Vec<Duration>,
    /// Heartbeats sent.
    pub heartbeats: u64,
    /// Connections the broker accepted (more than the devices if some
    /// had to reconnect).
    pub connacks: u64,
    /// Devices connected together once the last device got its last ack:
    /// each stays connected, heartbeating, until every device is done, and
    /// a device caught reconnecting at that moment (a CONNACK that came
    /// late in the storm) has [`SETTLE`] to come back. The most seen.
    pub live_at_end: u64,
}

mod device;
mod together;
use device::{Device, Done};
use together::Together;
pub use together::SETTLE;

impl SwarmReport {
    /// The p-th percentile of the batch latencies on a live connection.
    pub fn pct(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// The p-th percentile of the connect-to-first-ack times.
    pub fn first_pct(&self, p: f64) -> Duration {
        percentile(&self.first_acks, p)
    }

    /// The p-th percentile of the first-CONNACK-to-first-ack times.
    pub fn after_connect_pct(&self, p: f64) -> Duration {
        percentile(&self.after_connect, p)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The movement a swarm device sends in `round` (SKU `LOAD-n`, quantity 1).
pub fn swarm_movement(seq: u64, device_index: usize) -> Movement {
    Movement {
        seq,
        kind: MovementKind::Receive,
        sku: format!("LOAD-{}", device_index % 50),
        location: "SW-01".into(),
        to_location: None,
        lot: None,
        quantity: 1,
        device_time_ms: now_ms(),
        task: None,
    }
}

use agent::now_ms;

/// Runs the swarm to the end; every device runs concurrently.
pub async fn run(plan: SwarmPlan) -> SwarmReport {
    let start = Instant::now();
    let heartbeats = Arc::new(AtomicU64::new(0));
    let connacks = Arc::new(AtomicU64::new(0));
    let together = Together::new(plan.devices.len(), start);
    let mut tasks = Vec::with_capacity(plan.devices.len());
    let plan = Arc::new(plan);
    for (index, device) in plan.devices.iter().enumerate() {
        let opened = DeviceKey::from_hex(&device.key)
            .map_err(|e| e.to_string())
            .and_then(|key| Ok((key, AckOpener::new(device).ok_or("bad key")?)));
        let (key, opener) = match opened {
            Ok(both) => both,
            Err(e) => {
                together.finish();
                tasks.push(tokio::spawn(std::future::ready(Err(format!(
                    "{}: {e}",
                    device.device
                )))));
                continue;
            }
        };
        let epoch = crate::identity::fresh_epoch();
        let one = Device {
            plan: plan.clone(),
            id: device.device.clone(),
            login: (device.username.clone(), device.password.clone()),
            key,
            opener: opener.in_epoch(epoch),
            epoch,
            index,
            session_ms: now_ms(),
        };
        let hb = heartbeats.clone();
        let up = connacks.clone();
        let at = start + plan.ramp.mul_f64(index as f64 / plan.devices.len() as f64);
        let together = together.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            one.run(hb, up, together, start).await
        }));
    }
    let mut report = SwarmReport::default();
    let mut last_first_ack = Duration::ZERO;
    for task in tasks {
        match task.await {
            Ok(Ok(Done {
                first_ack,
                mut samples,
                after_connect,
            })) => {
                report.completed += 1;
                last_first_ack = last_first_ack.max(first_ack);
                report.after_connect.extend(after_connect);
                // The first includes connecting and subscribing.
                if !samples.is_empty() {
                    report.first_acks.push(samples.remove(0));
                }
                report.latencies.append(&mut samples);
            }
            Ok(Err(why)) => report.failed.push(why),
            Err(join) => report.failed.push(format!("device task: {join}")),
        }
    }
    report.all_connected = last_first_ack;
    report.latencies.sort();
    report.first_acks.sort();
    report.after_connect.sort();
    report.heartbeats = heartbeats.load(Ordering::Relaxed);
    report.connacks = connacks.load(Ordering::Relaxed);
    report.live_at_end = together.live_at_end.load(Ordering::SeqCst);
    report.all_up = together.all_up.get().copied();
    report
}
