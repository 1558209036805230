//! The MQTT link: rumqttc options for a handheld, and the task that polls
//! the rumqttc event loop and reports what matters to the driver.
//!
//! Why a task of its own: `EventLoop::poll` must not be dropped halfway
//! through writing a packet, so it is never raced against the driver's
//! work; it only races against the end of the shutdown grace period. When
//! the connection fails it waits a backoff (100 ms doubling to 2 s) and
//! polls again, which makes rumqttc reconnect.

use super::status::StatusSigner;
use super::PublisherConfig;
use rumqttc::{Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

/// Largest MQTT packet, in and out.
pub const MAX_PACKET: usize = 1 << 20;
/// MQTT keep-alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// QoS 1 publishes in flight at once.
pub const INFLIGHT: u16 = 100;
/// How long a clean disconnect may take after cancellation.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

/// What the link tells the driver.
#[derive(Debug)]
pub(super) enum LinkEvent {
    /// Connected (ConnAck received); the session is new.
    Connected,
    /// The connection was lost.
    Disconnected,
    /// A publish arrived.
    Received {
        /// Its topic.
        topic: String,
        /// Its payload.
        payload: Vec<u8>,
        /// Whether the broker delivered it as a retained message.
        retained: bool,
    },
}

/// The device's last will: a signed Offline status, renewed with a new
/// session before every connection attempt (so a replay of an earlier
/// connection's will is recognised as old by the hub).
pub(super) struct Will {
    /// The device's status topic.
    pub(super) topic: String,
    /// Makes the frames.
    pub(super) signer: StatusSigner,
}

impl Will {
    /// Puts a fresh last will into the options the next connect uses.
    pub(super) fn renew(&self, eventloop: &mut EventLoop) {
        let frame = self.signer.new_session_will(crate::now_ms());
        let will = LastWill::new(&self.topic, frame, QoS::AtLeastOnce, false);
        eventloop.mqtt_options.set_last_will(will);
    }
}

/// Options for device `config.device`: its own client id, username and
/// password, clean session (the broker holds nothing that matters). The
/// last will is set by [`Will::renew`].
pub(super) fn mqtt_options(config: &PublisherConfig) -> MqttOptions {
    let client_id = format!("agent-{}-{}", config.site, config.device);
    let mut options = MqttOptions::new(client_id, config.host.clone(), config.port);
    options
        .set_credentials(config.device.clone(), config.secrets.password.clone())
        .set_clean_session(true)
        .set_keep_alive(KEEP_ALIVE)
        .set_max_packet_size(MAX_PACKET, MAX_PACKET)
        .set_inflight(INFLIGHT);
    options
}

/// Polls `eventloop` until cancellation, reporting to `events`. After
/// cancellation it keeps polling (so the driver's Offline status and
/// disconnect get out) until the disconnect is written, the connection
/// ends, or [`SHUTDOWN_GRACE`] passes.
pub(super) async fn pump(
    mut eventloop: EventLoop,
    will: Will,
    events: mpsc::UnboundedSender<LinkEvent>,
    cancel: CancellationToken,
) {
    let grace = async {
        cancel.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::pin!(grace);
    let mut backoff = BACKOFF_START;
    let mut connected = false;
    let mut failures = 0u64;
    loop {
        let polled = tokio::select! {
            _ = &mut grace => break,
            // Offline there is nothing to say goodbye on: stop at once.
            _ = cancel.cancelled(), if !connected => break,
            polled = eventloop.poll() => polled,
        };
        // A send fails only once the driver is gone, i.e. during shutdown.
        let report = |event| drop(events.send(event));
        match polled {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                info!(attempts = failures + 1, "connected to the hub");
                connected = true;
                failures = 0;
                backoff = BACKOFF_START;
                report(LinkEvent::Connected);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => report(LinkEvent::Received {
                topic: p.topic,
                payload: p.payload.to_vec(),
                retained: p.retain,
            }),
            Ok(Event::Outgoing(Outgoing::Disconnect)) if cancel.is_cancelled() => break,
            Ok(_) => {}
            Err(e) => {
                if cancel.is_cancelled() {
                    break;
                }
                if connected {
                    warn!(error = %e, "connection to the hub lost; recording offline");
                    report(LinkEvent::Disconnected);
                } else if failures == 0 {
                    warn!(error = %e, "cannot reach the hub; recording offline, retrying");
                } else {
                    debug!(error = %e, failures, "still cannot reach the hub");
                }
                connected = false;
                failures += 1;
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                will.renew(&mut eventloop);
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
    debug!("MQTT link stopped");
}
