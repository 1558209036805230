//! The station's MQTT link: options for a printer station, and the task
//! that polls the rumqttc event loop and hands connects and publishes to
//! the station (reconnecting with the handheld's jittered exponential
//! backoff, [`crate::backoff`]).

use crate::backoff::Backoff;
use crate::credentials::DeviceSecrets;
use rumqttc::{Event, EventLoop, MqttOptions, Packet};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// What the link tells the station.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected (a new clean session: subscribe and report).
    Connected,
    /// A publish arrived.
    Received {
        /// Its topic.
        topic: String,
        /// Its payload.
        payload: Vec<u8>,
        /// Whether the broker delivered it as retained.
        retained: bool,
    },
}

/// Options for station `station` of `site`: the client id every device
/// logs in with (`agent-{site}-{id}`, WIRE.md §8.2; the hub refuses any
/// other), its credentials, a clean session (the broker holds nothing
/// that matters).
pub fn mqtt_options(
    host: &str,
    port: u16,
    site: &str,
    station: &str,
    secrets: &DeviceSecrets,
) -> MqttOptions {
    let mut options = MqttOptions::new(format!("agent-{site}-{station}"), host, port);
    options
        .set_credentials(station, secrets.password.clone())
        .set_clean_session(true)
        .set_keep_alive(crate::publisher::link::KEEP_ALIVE)
        .set_max_packet_size(
            crate::publisher::link::MAX_PACKET,
            crate::publisher::link::MAX_PACKET,
        );
    options
}

/// Polls `eventloop` until `cancel`, reporting to `events`.
pub async fn pump(
    mut eventloop: EventLoop,
    events: mpsc::UnboundedSender<LinkEvent>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::default();
    loop {
        let polled = tokio::select! {
            _ = cancel.cancelled() => break,
            polled = eventloop.poll() => polled,
        };
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                info!("station connected to the hub");
                backoff.reset();
                if events.send(LinkEvent::Connected).is_err() {
                    break;
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let event = LinkEvent::Received {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                    retained: p.retain,
                };
                if events.send(event).is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                warn!(error = %e, "station link down; retrying");
                if !backoff.wait(&cancel).await {
                    break;
                }
            }
        }
    }
    debug!("station link stopped");
}
