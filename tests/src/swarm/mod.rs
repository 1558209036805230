//! A swarm of lightweight devices on one hub: thousands of real MQTT
//! connections over TCP from one process, each sending heartbeats and
//! batches of movements as a handheld does and waiting for the hub's acks.
//! Used by the 5,000-device load test and the `bench swarm` benchmark.
//!
//! Each device is a rumqttc client, not a full agent (no journal): the
//! point is the hub's side of many connections, which an agent's journal
//! would not change. Agents' own memory is measured by `bench agent-memory`.

use crate::identity::AckOpener;
use protocol::{
    encode_signed, encode_signed_status, DeviceCredentials, DeviceKey, DeviceState, EventBatch,
    Movement, MovementKind, Status,
};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

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

mod together;
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

/// What a device that got every ack measured.
struct Done {
    /// From the swarm's start to its first ack.
    first_ack: Duration,
    /// Publish to ack of each batch.
    samples: Vec<Duration>,
    /// From its first CONNACK to its first ack.
    after_connect: Option<Duration>,
}

/// What the pump reports to its device.
struct Link {
    acked: watch::Sender<u64>,
    connections: watch::Sender<u64>,
    subscribed: watch::Sender<u64>,
    first_connack: Arc<OnceLock<Instant>>,
}

/// The device's side of [`Link`].
struct Seen {
    acked: watch::Receiver<u64>,
    connections: watch::Receiver<u64>,
    subscribed: watch::Receiver<u64>,
    first_connack: Arc<OnceLock<Instant>>,
}

struct Device {
    plan: Arc<SwarmPlan>,
    id: String,
    login: (String, String),
    key: DeviceKey,
    opener: AckOpener,
    /// Its journal epoch (acks of others are not its).
    epoch: u64,
    index: usize,
    session_ms: u64,
}

impl Device {
    fn topic(&self, kind: &str) -> String {
        format!("wms/{}/dev/{}/{kind}", self.plan.site, self.id)
    }

    async fn run(
        self,
        heartbeats: Arc<AtomicU64>,
        connected: Arc<AtomicU64>,
        together: Arc<Together>,
        start: Instant,
    ) -> Result<Done, String> {
        let client_id = format!("agent-{}-{}", self.plan.site, self.id);
        let mut options = MqttOptions::new(client_id, self.plan.host.clone(), self.plan.port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_credentials(self.login.0.clone(), self.login.1.clone())
            .set_clean_session(true);
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        // A loaded hub may take a while to answer CONNECT; giving up early
        // only makes a reconnect storm.
        let mut network = eventloop.network_options();
        network.set_connection_timeout(30);
        eventloop.set_network_options(network);
        let (acked_tx, acked) = watch::channel(0u64);
        let (connections_tx, connections) = watch::channel(0u64);
        let (subscribed_tx, subscribed) = watch::channel(0u64);
        let first_connack = Arc::new(OnceLock::new());
        let link = Link {
            acked: acked_tx,
            connections: connections_tx,
            subscribed: subscribed_tx,
            first_connack: first_connack.clone(),
        };
        let pump = tokio::spawn(pump(
            eventloop,
            self.opener.clone(),
            link,
            connected,
            together.clone(),
        ));
        let seen = Seen {
            acked,
            connections,
            subscribed,
            first_connack,
        };
        let result = self.drive(&client, seen, &heartbeats, start).await;
        // Stay connected (the pump answers keep-alives) until every device
        // is done: the hub carries the whole fleet at once, to the end.
        together.finish();
        together.wait_all(self.plan.deadline).await;
        let _ = client.disconnect().await;
        pump.abort();
        result
    }

    async fn drive(
        &self,
        client: &AsyncClient,
        mut seen: Seen,
        heartbeats: &AtomicU64,
        start: Instant,
    ) -> Result<Done, String> {
        let fail = |what: String| format!("{}: {what}", self.id);
        let acked = &mut seen.acked;
        let mut samples = Vec::with_capacity(self.plan.rounds as usize);
        let mut first_ack = Duration::ZERO;
        let mut after_connect = None;
        let mut next_heartbeat = Instant::now();
        for seq in 1..=self.plan.rounds {
            let batch = EventBatch {
                site: self.plan.site.clone(),
                device: self.id.clone(),
                epoch: self.epoch,
                first_seq: seq,
                movements: vec![swarm_movement(seq, self.index)],
                auth_tag: None,
            };
            let frame = encode_signed(&self.key, &batch);
            let t0 = Instant::now();
            let give_up = t0 + self.plan.deadline;
            let mut attempts = 0u64;
            // Resend until acked: the ack may have been lost while the
            // subscription was still being set up (duplicates are no-ops).
            while *acked.borrow() < seq {
                if Instant::now() > give_up {
                    return Err(fail(format!("no ack for seq {seq}")));
                }
                // Sessions are clean: subscribe again after every connect
                // until the broker confirms it (asked here, not in the
                // pump, which must never wait on the request queue).
                // Also every third unanswered resend: a broker that dropped
                // an old connection of the same client id may have taken
                // the new subscription with it.
                attempts += 1;
                let lapsed = *seen.subscribed.borrow() < *seen.connections.borrow();
                let first = seq == 1 && *seen.subscribed.borrow() == 0;
                if lapsed || first || attempts.is_multiple_of(3) {
                    client
                        .subscribe(self.topic("ack"), QoS::AtLeastOnce)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                }
                if Instant::now() >= next_heartbeat {
                    self.heartbeat(client).await.map_err(fail)?;
                    heartbeats.fetch_add(1, Ordering::Relaxed);
                    next_heartbeat = Instant::now() + self.plan.heartbeat;
                }
                client
                    .publish(self.topic("events"), QoS::AtLeastOnce, false, frame.clone())
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let wait =
                    tokio::time::timeout(Duration::from_secs(5), acked.wait_for(|&a| a >= seq));
                if let Ok(Err(_)) = wait.await {
                    return Err(fail("connection task ended".into()));
                }
            }
            samples.push(t0.elapsed());
            if seq == 1 {
                first_ack = start.elapsed();
                after_connect = seen.first_connack.get().map(Instant::elapsed);
            }
        }
        Ok(Done {
            first_ack,
            samples,
            after_connect,
        })
    }

    async fn heartbeat(&self, client: &AsyncClient) -> Result<(), String> {
        // One session per swarm device; heartbeats at least 1 ms apart in
        // device time, as the hub's ordering wants.
        let now = now_ms();
        let frame = encode_signed_status(
            &self.key,
            &Status {
                site: self.plan.site.clone(),
                device: self.id.clone(),
                session_ms: self.session_ms,
                state: DeviceState::Online,
                backlog: 0,
                battery_pct: Some(80),
                device_time_ms: now,
                epoch: 1,
                acked_seq: 0,
                app_version: "swarm".into(),
                signal_dbm: None,
                auth_tag: None,
            },
        );
        client
            .publish(self.topic("status"), QoS::AtLeastOnce, false, frame)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Polls one connection, reconnecting after errors (with a pause); counts
/// connections and subscription acks, and publishes the highest ack seen.
async fn pump(
    mut eventloop: EventLoop,
    opener: AckOpener,
    link: Link,
    connected: Arc<AtomicU64>,
    together: Arc<Together>,
) {
    let Link {
        acked,
        connections,
        subscribed,
        first_connack,
    } = link;
    let mut up = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if first_connack.set(Instant::now()).is_ok() {
                    together.first_connect();
                }
                if !std::mem::replace(&mut up, true) {
                    together.connected(true);
                }
                connected.fetch_add(1, Ordering::Relaxed);
                connections.send_modify(|n| *n += 1);
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                subscribed.send_modify(|n| *n += 1);
            }
            Ok(Event::Incoming(Packet::Publish(p))) if p.topic == opener.topic() => {
                if let Some(through) = opener.through(&p.topic, &p.payload) {
                    acked.send_if_modified(|a| {
                        let newer = through > *a;
                        *a = (*a).max(through);
                        newer
                    });
                }
            }
            Ok(_) => {}
            Err(_) => {
                if std::mem::replace(&mut up, false) {
                    together.connected(false);
                }
                tokio::time::sleep(Duration::from_millis(200)).await
            }
        }
    }
}
