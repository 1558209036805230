//! One benchmark handheld on raw MQTT: publishes signed one-movement
//! batches in a journal epoch of its own, and opens what the hub sends it
//! (sealed acks, sealed task lists) on a thread. Used by `bench tasks`
//! and `bench changes`.

use anyhow::Context;
use protocol::{encode_signed, DeviceKey, EventBatch, Message, MovementKind, TaskList};
use rumqttc::{Client, Event, Packet, QoS};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long an ack or a list may take before the run fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// What the device received, opened.
pub enum Inbound {
    /// A work queue.
    List(TaskList),
    /// An ack through this seq.
    Ack(u64),
}

/// The device: its connection and its next seq.
pub struct Device {
    client: Client,
    key: DeviceKey,
    id: String,
    epoch: u64,
    seq: u64,
    /// What it received.
    pub inbox: mpsc::Receiver<Inbound>,
}

impl Device {
    /// Connects as `id` of site `bench` and listens on its tasks and ack
    /// topics.
    pub fn connect(creds: &tests::Credentials, mqtt: u16, id: &str) -> anyhow::Result<Device> {
        let opener = tests::identity::AckOpener::new(creds.device(id)).context("device key")?;
        let opts = tests::identity::device_options(creds, id, mqtt);
        let (client, mut conn) = Client::new(opts, 100);
        // As the agent does: a scan is a small write that must leave now.
        let mut network = conn.eventloop.network_options();
        network.set_tcp_nodelay(true);
        conn.eventloop.set_network_options(network);
        let (tx, inbox) = mpsc::channel();
        std::thread::spawn(move || {
            for event in conn.iter() {
                let Ok(Event::Incoming(Packet::Publish(p))) = event else {
                    continue;
                };
                let inbound = match opener.open(&p.topic, &p.payload) {
                    Some(Message::TaskList(list)) => Inbound::List(list),
                    Some(Message::Ack(ack)) => Inbound::Ack(ack.through_seq),
                    _ => continue,
                };
                if tx.send(inbound).is_err() {
                    break;
                }
            }
        });
        for topic in ["tasks", "ack"] {
            client.subscribe(format!("wms/bench/dev/{id}/{topic}"), QoS::AtLeastOnce)?;
        }
        Ok(Device {
            client,
            key: tests::identity::device_key(creds, id),
            id: id.to_string(),
            epoch: tests::identity::fresh_epoch(),
            seq: 0,
            inbox,
        })
    }

    /// Publishes one movement of `sku` at A-01-1 as a signed batch;
    /// returns its seq.
    pub fn send(
        &mut self,
        kind: MovementKind,
        sku: &str,
        quantity: i64,
        task: Option<String>,
    ) -> anyhow::Result<u64> {
        self.seq += 1;
        let mut m = tests::feed::movement(kind, sku, "A-01-1", quantity);
        m.seq = self.seq;
        m.task = task;
        let batch = EventBatch {
            site: "bench".into(),
            device: self.id.clone(),
            epoch: self.epoch,
            first_seq: self.seq,
            movements: vec![m],
            auth_tag: None,
        };
        let frame = encode_signed(&self.key, &batch);
        let topic = format!("wms/bench/dev/{}/events", self.id);
        self.client.publish(topic, QoS::AtLeastOnce, false, frame)?;
        Ok(self.seq)
    }

    /// Waits for the ack through `seq`; when it arrived.
    pub fn wait_ack(&self, seq: u64) -> anyhow::Result<Instant> {
        let until = Instant::now() + DEADLINE;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left).context("no ack")? {
                Inbound::Ack(through) if through >= seq => return Ok(Instant::now()),
                _ => {}
            }
        }
    }
}
