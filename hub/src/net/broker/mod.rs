//! The embedded MQTT broker (rumqttd), configured in code so the hub needs
//! no config file. It holds nothing that matters: sessions live in memory,
//! and every ack and work queue is rebuilt from the hub's store. Every
//! connect is checked by [`BrokerAuth`] (there is no open mode).
//!
//! rumqttd 0.20 can panic on client behaviour (a connect reset twice with
//! one client id poisons its will-handler mutex, rumqtt#1062; a persistent
//! `$share` subscriber that never acks kills its router thread), after
//! which it refuses everyone. So it never runs inside the hub: [`child`] is
//! a process of its own (`hub broker-child`) that aborts on any panic, and
//! [`supervisor`] starts it, [`probe`]s it with a real client round trip,
//! and restarts it when it dies or stops answering. Devices reconnect and
//! resend from their journals; nothing is lost, because the broker holds
//! nothing.

pub mod child;
pub mod probe;
pub mod supervisor;

use crate::devices::{BrokerAuth, RegistryError};
use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::thread;
use thiserror::Error;

pub use supervisor::{BrokerChild, Supervisor};

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
    /// The broker child process could not be started.
    #[error("cannot start the broker process {program}: {source}")]
    Spawn {
        /// The program run as `PROGRAM broker-child`.
        program: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The device registry cannot be read.
    #[error(transparent)]
    Registry(RegistryError),
    /// The broker process was given no secret for the hub's login.
    #[error("no login secret on stdin (`hub broker-child` is started by the hub, not by hand)")]
    NoSecret,
    /// The broker child did not say it was listening in time.
    #[error("the broker process did not start listening on {addr}: {why}")]
    NotReady {
        /// The address.
        addr: SocketAddr,
        /// What was seen instead.
        why: String,
    },
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

/// Starts the broker on its own threads, in this process (the broker
/// child's body). rumqttd only logs a failed bind, so the address is
/// checked first to give a clear error.
pub fn start(listen: SocketAddr, auth: BrokerAuth) -> Result<(), BrokerError> {
    free_port(listen)?;
    let mut broker = rumqttd::Broker::new(broker_config(listen, auth));
    thread::Builder::new()
        .name("broker".to_string())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })
        .map_err(BrokerError::Thread)?;
    Ok(())
}

/// Checks that `listen` can be bound, waiting up to 5 s while it is in
/// use: the broker of a hub that was just killed exits when it notices
/// (its stdin closes), a few milliseconds after a new hub may start.
fn free_port(listen: SocketAddr) -> Result<(), BrokerError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match TcpListener::bind(listen) {
            Ok(_) => return Ok(()),
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < deadline =>
            {
                thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(source) => {
                return Err(BrokerError::Bind {
                    addr: listen,
                    source,
                })
            }
        }
    }
}
