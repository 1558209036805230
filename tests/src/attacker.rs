//! A provisioned device turned attacker, for the attack tests: logged in
//! with its own credentials, it reads everything on `wms/#` and publishes
//! whatever it likes wherever it likes, retained or not (rumqttd has no
//! topic ACLs, promise 10).
//!
//! It remembers what it published itself, so a test can tell the hub's
//! frames it captured from its own forgeries.

use crate::identity::{device_options, Credentials};
use crate::wait::wait_until;
use rumqttc::{Client, Event, Packet, QoS};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One publish the attacker received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// Its topic.
    pub topic: String,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Whether the broker marked it retained.
    pub retained: bool,
}

/// The attacker's connection.
pub struct Attacker {
    client: Client,
    captured: Arc<Mutex<Vec<Captured>>>,
    forged: Mutex<HashSet<Vec<u8>>>,
    published: Mutex<u64>,
    connected: Arc<AtomicBool>,
}

impl Attacker {
    /// Connects as `device` and subscribes to `wms/#`; returns once the
    /// broker confirmed the subscription.
    pub fn connect(creds: &Credentials, device: &str, port: u16) -> Attacker {
        let mut opts = device_options(creds, device, port);
        opts.set_keep_alive(Duration::from_secs(5));
        let (client, mut connection) = Client::new(opts, 1000);
        let captured = Arc::new(Mutex::new(Vec::new()));
        let subscribed = Arc::new(AtomicBool::new(false));
        let (sink, flag) = (captured.clone(), subscribed.clone());
        let connected = Arc::new(AtomicBool::new(true));
        let alive = connected.clone();
        std::thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::SubAck(_))) => flag.store(true, Ordering::SeqCst),
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let seen = Captured {
                            topic: p.topic,
                            payload: p.payload.to_vec(),
                            retained: p.retain,
                        };
                        sink.lock().unwrap_or_else(|e| e.into_inner()).push(seen);
                    }
                    Ok(_) => {}
                    // One connection only: a reconnect would fight nobody,
                    // but a test that lost its attacker should see it.
                    Err(_) => break,
                }
            }
            alive.store(false, Ordering::SeqCst);
        });
        client
            .subscribe("wms/#", QoS::AtLeastOnce)
            .expect("queue subscribe");
        wait_until("attacker subscribed", Duration::from_secs(10), || {
            subscribed.load(Ordering::SeqCst).then_some(())
        })
        .expect("the broker did not confirm wms/#");
        Attacker {
            client,
            captured,
            forged: Mutex::new(HashSet::new()),
            published: Mutex::new(0),
            connected,
        }
    }

    /// Whether its one connection is still open (it never reconnects).
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Publishes `payload` on `topic` (QoS 1), remembering it as a forgery.
    pub fn publish(&self, topic: &str, payload: Vec<u8>, retain: bool) {
        self.forged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(payload.clone());
        *self.published.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .expect("queue forged publish");
    }

    /// Publishes a frame it captured (QoS 1, not retained) without calling
    /// it a forgery: it stays one of the hub's frames for
    /// [`Attacker::captured_from_others`].
    pub fn replay(&self, topic: &str, payload: Vec<u8>) {
        *self.published.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .expect("queue replay");
    }

    /// How many times `payload` arrived on `topic` (its own publishes come
    /// back too: it is subscribed to everything).
    pub fn occurrences(&self, topic: &str, payload: &[u8]) -> usize {
        let captured = self.captured.lock().unwrap_or_else(|e| e.into_inner());
        captured
            .iter()
            .filter(|c| c.topic == topic && c.payload == payload)
            .count()
    }

    /// How many frames it published.
    pub fn published(&self) -> u64 {
        *self.published.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything received on `topic` that it did not publish itself (the
    /// hub's frames), in arrival order, each payload once.
    pub fn captured_from_others(&self, topic: &str) -> Vec<Vec<u8>> {
        let forged = self.forged.lock().unwrap_or_else(|e| e.into_inner());
        let captured = self.captured.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen = HashSet::new();
        captured
            .iter()
            .filter(|c| c.topic == topic && !forged.contains(&c.payload))
            .filter(|c| seen.insert(c.payload.clone()))
            .map(|c| c.payload.clone())
            .collect()
    }
}
