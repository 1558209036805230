//! One health probe of the embedded broker: what a device does, end to
//! end. A fresh client connects with the hub's probe login, subscribes to
//! the site's probe topic, publishes at QoS 1 and waits for its own message
//! to come back. A broker that accepts TCP but whose router is dead, or
//! whose connect path is poisoned, fails here, which a port check would
//! not notice.
//!
//! Every so often the probe also sweeps retained messages (promise 10):
//! it subscribes to all of the site's topics instead, and every message
//! the broker hands it as retained (someone on the broker left it there:
//! the hub and its devices never retain) is cleared with an empty retained
//! publish. Devices ignore retained frames anyway; clearing them keeps
//! forgeries from waiting on the broker for a device to connect.

use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS};
use std::time::Duration;
use thiserror::Error;

/// Who the probe is and where it goes.
#[derive(Clone)]
pub struct ProbeLogin {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// The site (for the probe topic).
    pub site: String,
    /// `hub-{site}-probe`.
    pub client_id: String,
    /// The hub's username.
    pub username: String,
    /// The hub's per-start secret.
    pub password: String,
}

impl std::fmt::Debug for ProbeLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeLogin")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Why a probe failed.
#[derive(Debug, Error)]
pub enum ProbeError {
    /// The connection failed or broke.
    #[error("connection: {0}")]
    Connection(#[from] rumqttc::ConnectionError),
    /// The broker refused the login.
    #[error("login refused: {0:?}")]
    Refused(ConnectReturnCode),
    /// A request could not be queued.
    #[error("client: {0}")]
    Client(#[from] rumqttc::ClientError),
}

/// The topic the probe talks to itself on; no device subscribes to it and
/// the hub's subscriptions do not match it.
pub fn topic(site: &str) -> String {
    format!("wms/{site}/hub/probe")
}

/// Most retained messages one sweep clears (the rest go at the next).
const MOST_CLEARED: usize = 1000;

/// One round trip, carrying `nonce`; with `sweep`, retained messages on
/// the site's topics are cleared too. Returns how many were cleared. The
/// caller bounds it in time.
pub async fn round_trip(login: &ProbeLogin, nonce: u64, sweep: bool) -> Result<usize, ProbeError> {
    let mut options = MqttOptions::new(login.client_id.clone(), login.host.clone(), login.port);
    options
        .set_credentials(login.username.clone(), login.password.clone())
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, MOST_CLEARED + 8);
    // The caller bounds the whole round trip; rumqttc's own 5 s connect
    // limit would cut a slow but working broker short.
    let mut network = events.network_options();
    network.set_connection_timeout(60);
    events.set_network_options(network);
    let topic = topic(&login.site);
    // The sweep's filter also matches the probe topic; at QoS 0 the live
    // traffic it sees meanwhile costs the broker little.
    let (filter, qos) = match sweep {
        true => (format!("wms/{}/#", login.site), QoS::AtMostOnce),
        false => (topic.clone(), QoS::AtLeastOnce),
    };
    let body = nonce.to_be_bytes();
    let mut retained: Vec<String> = Vec::new();
    loop {
        match events.poll().await? {
            Event::Incoming(Packet::ConnAck(ack)) => {
                if ack.code != ConnectReturnCode::Success {
                    return Err(ProbeError::Refused(ack.code));
                }
                client.try_subscribe(filter.clone(), qos)?;
            }
            Event::Incoming(Packet::SubAck(_)) => {
                client.try_publish(topic.clone(), QoS::AtLeastOnce, false, body.to_vec())?;
            }
            Event::Incoming(Packet::Publish(p)) if p.payload.as_ref() == body => break,
            // Retained messages come right after the SUBACK, before ours.
            Event::Incoming(Packet::Publish(p))
                if p.retain
                    && !p.payload.is_empty()
                    && retained.len() < MOST_CLEARED
                    && !retained.contains(&p.topic) =>
            {
                retained.push(p.topic)
            }
            _ => {}
        }
    }
    for stale in &retained {
        tracing::warn!(topic = %stale.escape_debug(), "retained message on the broker cleared");
        client.try_publish(stale.clone(), QoS::AtLeastOnce, true, Vec::new())?;
    }
    // Leave cleanly, so the broker logs no broken connection.
    client.try_disconnect()?;
    while let Ok(event) = events.poll().await {
        if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
            break;
        }
    }
    Ok(retained.len())
}
