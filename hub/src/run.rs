//! Starting and stopping the whole hub: store, broker, writer thread, MQTT
//! shell and HTTP server, all stopped by one cancellation token.

use crate::api::{self, AppState};
use crate::broker::{self, BrokerError};
use crate::config::HubConfig;
use crate::fleet::Fleet;
use crate::metrics::Metrics;
use crate::mqtt::{self, MqttSettings};
use crate::store::{Store, StoreError};
use crate::writer::Writer;
use std::net::SocketAddr;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

/// Why the hub could not start or stopped with an error.
#[derive(Debug, Error)]
pub enum HubError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The broker failed to start.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The HTTP listener failed.
    #[error("cannot serve HTTP on {addr}: {source}")]
    Http {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The external broker address is not host:port.
    #[error("bad broker address {0:?}: expected host:port")]
    BrokerAddress(String),
    /// A task or thread died.
    #[error("hub task failed: {0}")]
    Task(String),
}

/// A hub started by [`start`].
pub struct RunningHub {
    /// Where HTTP is served.
    pub http_addr: SocketAddr,
    /// Cancel this to stop the hub.
    pub cancel: CancellationToken,
    /// Store handle (for in-process tests and benchmarks).
    pub store: Store,
    /// Counters.
    pub metrics: Arc<Metrics>,
    done: JoinHandle<Result<(), HubError>>,
}

impl RunningHub {
    /// Waits for the hub to stop (after `cancel`), with its final result.
    pub async fn wait(self) -> Result<(), HubError> {
        self.done.await.map_err(|e| HubError::Task(e.to_string()))?
    }
}

fn broker_target(config: &HubConfig) -> Result<(String, u16), HubError> {
    match &config.external_broker {
        None => Ok((
            config.mqtt_listen.ip().to_string(),
            config.mqtt_listen.port(),
        )),
        Some(addr) => {
            let (host, port) = addr
                .rsplit_once(':')
                .ok_or_else(|| HubError::BrokerAddress(addr.clone()))?;
            let port = port
                .parse()
                .map_err(|_| HubError::BrokerAddress(addr.clone()))?;
            Ok((host.to_string(), port))
        }
    }
}

/// Starts every part of the hub and returns once they are listening.
pub async fn start(config: HubConfig) -> Result<RunningHub, HubError> {
    let (host, port) = broker_target(&config)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StoreError::Sled(e.into()))?;
    let store = Store::open(&config.data_dir)?;
    let metrics = Arc::new(Metrics::default());
    let fleet = Arc::new(Fleet::default());
    let writer = Writer::new(
        config.site.clone(),
        store.clone(),
        metrics.clone(),
        fleet.clone(),
        config.max_group_movements,
    )?;
    let listener = tokio::net::TcpListener::bind(config.http_listen)
        .await
        .map_err(|source| HubError::Http {
            addr: config.http_listen,
            source,
        })?;
    let http_addr = listener.local_addr().map_err(|source| HubError::Http {
        addr: config.http_listen,
        source,
    })?;
    if config.external_broker.is_none() {
        broker::start(config.mqtt_listen)?;
    }
    let cancel = CancellationToken::new();
    let (cmd_tx, cmd_rx) = mpsc::channel(65_536);
    let (ack_tx, ack_rx) = mpsc::unbounded_channel();
    let writer_thread = std::thread::Builder::new()
        .name("pool-writer".into())
        .spawn(move || writer.run(cmd_rx, ack_tx))
        .map_err(|e| HubError::Task(e.to_string()))?;
    let settings = MqttSettings {
        host,
        port,
        site: config.site.clone(),
    };
    let mqtt_task = tokio::spawn(mqtt::run(
        settings,
        cmd_tx,
        ack_rx,
        metrics.clone(),
        cancel.clone(),
    ));
    let state = AppState {
        store: store.clone(),
        metrics: metrics.clone(),
        fleet,
        site: config.site.clone(),
    };
    let http_cancel = cancel.clone();
    let http_task = tokio::spawn(async move {
        axum::serve(listener, api::router(state))
            .with_graceful_shutdown(async move { http_cancel.cancelled().await })
            .await
    });
    info!(%http_addr, mqtt = %config.mqtt_listen, site = %config.site, "hub started");
    let done = tokio::spawn(async move {
        let _ = mqtt_task.await;
        // The MQTT shell held the only command sender: the writer now
        // drains what is queued, commits it, and returns.
        let writer_result = tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(|e| HubError::Task(e.to_string()))?
            .map_err(|_| HubError::Task("writer thread panicked".into()))?;
        let _ = http_task.await;
        writer_result.map_err(HubError::from)
    });
    Ok(RunningHub {
        http_addr,
        cancel,
        store,
        metrics,
        done,
    })
}

/// Runs the hub until `cancel` fires, then stops it cleanly.
pub async fn run(config: HubConfig, cancel: CancellationToken) -> Result<(), HubError> {
    let hub = start(config).await?;
    let hub_cancel = hub.cancel.clone();
    tokio::select! {
        _ = cancel.cancelled() => hub_cancel.cancel(),
        _ = hub_cancel.cancelled() => {}
    }
    hub.wait().await
}
