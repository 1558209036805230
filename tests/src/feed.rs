//! A stand-in handheld for tests that need stock in the hub: publishes
//! movements straight to the hub's broker as one device's consecutive
//! batches in a journal epoch of its own, and waits until the hub has
//! durably applied them (its watermark for that epoch). Also JSON helpers for the hub's API.

use crate::identity::{device_key, device_options, Credentials};
use crate::{http, hubapi, wait_until};
use protocol::{encode_signed, DeviceKey, EventBatch, Movement, MovementKind};
use rumqttc::{Client, QoS};
use std::net::SocketAddr;
use std::time::Duration;

/// One movement with no destination or device time.
pub fn movement(kind: MovementKind, sku: &str, location: &str, quantity: i64) -> Movement {
    Movement {
        seq: 0,
        kind,
        sku: sku.into(),
        location: location.into(),
        to_location: None,
        lot: None,
        quantity,
        device_time_ms: 0,
        task: None,
    }
}

/// A device publishing movements to one hub.
pub struct Feed {
    client: Client,
    site: String,
    device: String,
    key: DeviceKey,
    http: SocketAddr,
    /// Its journal epoch: a new feed is a new journal.
    epoch: u64,
    next_seq: u64,
}

impl Feed {
    /// Connects as `device` (logging in with its credentials) to the
    /// broker on `mqtt_port`; the hub's HTTP API at `http` is used to wait
    /// for the hub to apply.
    pub fn connect(mqtt_port: u16, http: SocketAddr, creds: &Credentials, device: &str) -> Feed {
        let opts = device_options(creds, device, mqtt_port);
        let (client, mut conn) = Client::new(opts, 100);
        std::thread::spawn(move || for _ in conn.iter() {});
        Feed {
            client,
            site: creds.site(device).into(),
            device: device.into(),
            key: device_key(creds, device),
            http,
            epoch: crate::identity::fresh_epoch(),
            next_seq: 1,
        }
    }

    /// Publishes the movements as one batch and waits until the hub has
    /// applied them.
    pub fn send(&mut self, mut movements: Vec<Movement>) {
        let first_seq = self.next_seq;
        for m in &mut movements {
            m.seq = self.next_seq;
            self.next_seq += 1;
        }
        let batch = EventBatch {
            site: self.site.clone(),
            device: self.device.clone(),
            epoch: self.epoch,
            first_seq,
            movements,
            auth_tag: None,
        };
        let frame = encode_signed(&self.key, &batch);
        let topic = format!("wms/{}/dev/{}/events", self.site, self.device);
        let through = self.next_seq - 1;
        // The broker may drop a publish from a connection still opening:
        // publish again until the watermark moves (duplicates are no-ops).
        wait_until("hub applies the feed", Duration::from_secs(15), || {
            let _ = self
                .client
                .publish(topic.clone(), QoS::AtLeastOnce, false, frame.clone());
            wait_until("watermark", Duration::from_millis(500), || {
                hubapi::epoch_watermark(self.http, &self.device, self.epoch)
                    .ok()
                    .filter(|&w| w >= through)
            })
            .ok()
        })
        .expect("hub did not apply the feed");
    }
}

/// POSTs JSON; returns (status, parsed body or Null).
pub fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, serde_json::Value) {
    call(addr, "POST", path, Some(body))
}

/// Any request; returns (status, parsed body or Null).
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, serde_json::Value) {
    let r = http::request(addr, method, path, body).expect("HTTP request");
    let json = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, json)
}

/// Starts a hub for site `s1` in `data` and receives `units` of `sku` at
/// location A-1 through a feed device; returns the hub and its HTTP address.
pub fn stocked_hub(data: &std::path::Path, sku: &str, units: i64) -> (crate::HubProc, SocketAddr) {
    let ports = crate::HubPorts::fresh();
    let hub = crate::HubProc::start(data, ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(MovementKind::Receive, sku, "A-1", units)]);
    (hub, addr)
}
