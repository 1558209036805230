//! The MQTT link: rumqttc options for a handheld, and the task that polls
//! the rumqttc event loop and reports what matters to the driver.
//!
//! Why a task of its own: `EventLoop::poll` must not be dropped halfway
//! through writing a packet, so it is never raced against the driver's
//! work; it only races against the end of the shutdown grace period. When
//! the connection fails it waits a backoff ([`crate::backoff`]: 100 ms
//! doubling to 30 s, each wait drawn at random from its upper half, so a
//! fleet dropped at once by a broker restart does not come back in
//! lockstep) and polls again, which makes rumqttc reconnect.
//!
//! A refused login is told apart from an unreachable hub ([`LinkState`]):
//! Mosquitto answers a CONNACK with a refusal code, which is final at once;
//! the embedded broker (rumqttd) closes the connection without a CONNACK,
//! which is taken as a refusal after [`CLOSES_BEFORE_REFUSED`] in a row (a
//! hub stopping mid-handshake closes one, not three). Either way the agent
//! logs one error saying what to do, keeps recording scans, and keeps
//! trying, in case the refusal was a registry not yet reloaded.

use super::health::HealthProbe;
use super::status::StatusSigner;
use super::PublisherConfig;
use crate::backoff::Backoff;
use rumqttc::{
    ConnectReturnCode, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet,
    QoS, StateError,
};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

/// Largest MQTT packet, in and out.
pub const MAX_PACKET: usize = 1 << 20;
/// MQTT keep-alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// QoS 1 publishes in flight at once.
pub const INFLIGHT: u16 = 100;
/// How long a clean disconnect may take after cancellation.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Connections closed before a CONNACK, in a row, that mean a refused login.
pub const CLOSES_BEFORE_REFUSED: u32 = 3;

/// Where the link to the hub stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet, or reconnecting.
    Connecting,
    /// Connected: the broker accepted the login.
    Connected,
    /// The broker refuses this device's login (revoked, rotated, wrong
    /// password or client id); scans are still recorded.
    LoginRefused,
}

/// What one failed poll says about the login.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// The broker answered the CONNECT with a refusal.
    Refused(ConnectReturnCode),
    /// The broker closed the connection before any CONNACK.
    ClosedBeforeConnAck,
    /// Anything else: no route, no listener, a lost connection.
    Other,
}

fn classify(e: &ConnectionError, connected: bool) -> Failure {
    match e {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword
            | ConnectReturnCode::NotAuthorized
            | ConnectReturnCode::BadClientId),
        ) => Failure::Refused(*code),
        ConnectionError::MqttState(StateError::ConnectionAborted) if !connected => {
            Failure::ClosedBeforeConnAck
        }
        _ => Failure::Other,
    }
}

/// Counts failures and says when the login counts as refused.
#[derive(Debug, Default)]
struct RefusalCounter {
    closes: u32,
}

impl RefusalCounter {
    /// Whether this failure makes (or keeps) the login refused.
    fn refused_after(&mut self, failure: &Failure) -> bool {
        match failure {
            Failure::Refused(_) => true,
            Failure::ClosedBeforeConnAck => {
                self.closes += 1;
                self.closes >= CLOSES_BEFORE_REFUSED
            }
            Failure::Other => {
                self.closes = 0;
                false
            }
        }
    }
}

fn refusal_message(failure: &Failure) -> String {
    let how = match failure {
        Failure::Refused(code) => format!("the broker answered {code:?}"),
        _ => format!(
            "the broker closed the connection without accepting the login, \
             {CLOSES_BEFORE_REFUSED} times in a row"
        ),
    };
    format!(
        "the hub refused this device's login ({how}): the device is revoked, its credentials \
         were rotated, or its password or client id is wrong. Scans are still recorded and \
         kept; ask an operator (`hub device list`) and restart the agent with new credentials"
    )
}

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
    /// What the will reports (epoch, watermark, signal at connect).
    pub(super) health: HealthProbe,
}

impl Will {
    /// Puts a fresh last will into the options the next connect uses.
    pub(super) fn renew(&self, eventloop: &mut EventLoop) {
        let frame = self
            .signer
            .new_session_will(crate::now_ms(), &self.health.read());
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
    state: watch::Sender<LinkState>,
    cancel: CancellationToken,
) {
    let grace = async {
        cancel.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::pin!(grace);
    let mut backoff = Backoff::default();
    let mut connected = false;
    let mut failures = 0u64;
    let mut refusals = RefusalCounter::default();
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
                refusals = RefusalCounter::default();
                state.send_replace(LinkState::Connected);
                backoff.reset();
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
                let failure = classify(&e, connected);
                let was_refused = *state.borrow() == LinkState::LoginRefused;
                if refusals.refused_after(&failure) {
                    if !was_refused {
                        error!(error = %e, "{}", refusal_message(&failure));
                    }
                    state.send_replace(LinkState::LoginRefused);
                } else if failure == Failure::Other || !was_refused {
                    state.send_replace(LinkState::Connecting);
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
                if !backoff.wait(&cancel).await {
                    break;
                }
                will.renew(&mut eventloop);
            }
        }
    }
    debug!("MQTT link stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_code_is_final_at_once_and_closes_before_connack_after_three() {
        let refused = ConnectionError::ConnectionRefused(ConnectReturnCode::NotAuthorized);
        let closed = ConnectionError::MqttState(StateError::ConnectionAborted);
        let unreachable = ConnectionError::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert_eq!(
            classify(&refused, false),
            Failure::Refused(ConnectReturnCode::NotAuthorized)
        );
        assert_eq!(classify(&closed, false), Failure::ClosedBeforeConnAck);
        // A connection that was up and is dropped is a lost connection.
        assert_eq!(classify(&closed, true), Failure::Other);
        assert_eq!(classify(&unreachable, false), Failure::Other);

        let mut counter = RefusalCounter::default();
        assert!(counter.refused_after(&classify(&refused, false)));
        let mut counter = RefusalCounter::default();
        let close = classify(&closed, false);
        assert!(!counter.refused_after(&close));
        assert!(!counter.refused_after(&close));
        // An unreachable hub in between starts the count again.
        assert!(!counter.refused_after(&Failure::Other));
        assert!(!counter.refused_after(&close));
        assert!(!counter.refused_after(&close));
        assert!(counter.refused_after(&close));
        assert!(refusal_message(&close).contains("3 times in a row"));
        let msg = refusal_message(&Failure::Refused(ConnectReturnCode::NotAuthorized));
        assert!(
            msg.contains("NotAuthorized") && msg.contains("revoked"),
            "{msg}"
        );
    }
}
