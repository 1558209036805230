//! The embedded MQTT broker (rumqttd), configured in code so the hub needs
//! no config file. It holds nothing that matters: sessions live in memory,
//! and every ack and work queue is rebuilt from the hub's store. Every
//! connect is checked by [`BrokerAuth`] (there is no open mode).

use crate::devices::BrokerAuth;
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::thread;
use thiserror::Error;

/// Largest MQTT payload the broker accepts (a 4096-movement batch fits).
pub const MAX_PAYLOAD: usize = 1 << 20;

/// Why the broker could not start.
#[derive(Debug, Error)]
pub enum BrokerError {
    /// The listen address is taken or not ours.
    #[error("cannot listen for MQTT on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The broker thread could not be spawned.
    #[error("cannot start the broker thread: {0}")]
    Thread(std::io::Error),
}

/// The rumqttd configuration the hub runs with.
pub fn broker_config(listen: SocketAddr, auth: BrokerAuth) -> rumqttd::Config {
    let mut connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 10_000,
        max_payload_size: MAX_PAYLOAD,
        max_inflight_count: 1000,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    auth.install(&mut connections);
    let server = rumqttd::ServerSettings {
        name: "v4".to_string(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    };
    let router = rumqttd::RouterConfig {
        max_connections: 20_000,
        max_outgoing_packet_count: 1000,
        // Logs are per subscription filter; a subscriber that falls more
        // than this behind loses messages, which devices resend anyway.
        max_segment_size: 16 << 20,
        max_segment_count: 4,
        ..Default::default()
    };
    rumqttd::Config {
        id: 0,
        router,
        v4: Some(HashMap::from([("v4".to_string(), server)])),
        ..Default::default()
    }
}

/// Starts the broker on its own threads. rumqttd only logs a failed bind,
/// so the address is checked first to give a clear error.
pub fn start(listen: SocketAddr, auth: BrokerAuth) -> Result<(), BrokerError> {
    TcpListener::bind(listen).map_err(|source| BrokerError::Bind {
        addr: listen,
        source,
    })?;
    let mut broker = rumqttd::Broker::new(broker_config(listen, auth));
    thread::Builder::new()
        .name("broker".to_string())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })
        .map_err(BrokerError::Thread)?;
    wait_listening_without_nagle(listen);
    Ok(())
}

/// Waits (up to 5 s) for the broker's listener and sets TCP_NODELAY on it;
/// see [`crate::nodelay`] for why acks need it.
fn wait_listening_without_nagle(listen: SocketAddr) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !crate::nodelay::set_on_listener(listen) {
        if std::time::Instant::now() > deadline {
            tracing::warn!(%listen, "broker listener not found: acks may wait for Nagle's algorithm");
            return;
        }
        thread::sleep(std::time::Duration::from_millis(5));
    }
}
