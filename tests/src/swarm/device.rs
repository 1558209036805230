//! One swarm device: its rumqttc connection (the pump, which never waits
//! on the device) and its driver, which subscribes, heartbeats, publishes
//! its batches and waits for each sealed ack, resending until it comes.

use super::together::Together;
use super::{swarm_movement, SwarmPlan};
use crate::identity::AckOpener;
use agent::now_ms;
use protocol::{encode_signed, encode_signed_status, DeviceKey, DeviceState, EventBatch, Status};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What a device that got every ack measured.
pub(super) struct Done {
    /// From the swarm's start to its first ack.
    pub(super) first_ack: Duration,
    /// Publish to ack of each batch.
    pub(super) samples: Vec<Duration>,
    /// From its first CONNACK to its first ack.
    pub(super) after_connect: Option<Duration>,
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

/// Whether to subscribe before attempt `attempts` at batch `seq`.
/// Sessions are clean: subscribe again after every connect until the
/// broker confirms it (asked by the driver, not in the pump, which must
/// never wait on the request queue); before the first batch; and every
/// third unanswered resend: a broker that dropped an old connection of the
/// same client id may have taken the new subscription with it.
fn must_subscribe(
    subscribed: &watch::Receiver<u64>,
    connections: &watch::Receiver<u64>,
    seq: u64,
    attempts: u64,
) -> bool {
    let lapsed = *subscribed.borrow() < *connections.borrow();
    let first = seq == 1 && *subscribed.borrow() == 0;
    lapsed || first || attempts.is_multiple_of(3)
}

pub(super) struct Device {
    pub(super) plan: Arc<SwarmPlan>,
    pub(super) id: String,
    pub(super) login: (String, String),
    pub(super) key: DeviceKey,
    pub(super) opener: AckOpener,
    /// Its journal epoch (acks of others are not its).
    pub(super) epoch: u64,
    pub(super) index: usize,
    pub(super) session_ms: u64,
}

impl Device {
    fn topic(&self, kind: &str) -> String {
        format!("wms/{}/dev/{}/{kind}", self.plan.site, self.id)
    }

    pub(super) async fn run(
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
        // As the agent does: without it a batch written right after the
        // previous ack's PUBACK waits for the broker's delayed ACK (40 ms).
        network.set_tcp_nodelay(true);
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
            let frame = self.batch_frame(seq);
            let t0 = Instant::now();
            let give_up = t0 + self.plan.deadline;
            let mut attempts = 0u64;
            // Resend until acked: the ack may have been lost while the
            // subscription was still being set up (duplicates are no-ops).
            while *acked.borrow() < seq {
                if Instant::now() > give_up {
                    return Err(fail(format!("no ack for seq {seq}")));
                }
                attempts += 1;
                if must_subscribe(&seen.subscribed, &seen.connections, seq, attempts) {
                    client
                        .subscribe(self.topic("ack"), QoS::AtLeastOnce)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                }
                self.heartbeat_if_due(client, &mut next_heartbeat, heartbeats)
                    .await
                    .map_err(fail)?;
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

    /// Batch `seq` (one movement), signed.
    fn batch_frame(&self, seq: u64) -> Vec<u8> {
        let batch = EventBatch {
            site: self.plan.site.clone(),
            device: self.id.clone(),
            epoch: self.epoch,
            first_seq: seq,
            movements: vec![swarm_movement(seq, self.index)],
            auth_tag: None,
        };
        encode_signed(&self.key, &batch)
    }

    /// A heartbeat if `next` has come, and the next one's time.
    async fn heartbeat_if_due(
        &self,
        client: &AsyncClient,
        next: &mut Instant,
        heartbeats: &AtomicU64,
    ) -> Result<(), String> {
        if Instant::now() < *next {
            return Ok(());
        }
        self.heartbeat(client).await?;
        heartbeats.fetch_add(1, Ordering::Relaxed);
        *next = Instant::now() + self.plan.heartbeat;
        Ok(())
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
