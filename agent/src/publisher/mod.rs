//! Publishes the journal to the hub over MQTT until the hub acknowledges
//! it, and trims the journal on each acknowledgement (promise 2).
//!
//! Split as rumqttc splits `MqttState` from `EventLoop`: [`SendState`]
//! decides what to send, purely; [`link`] owns the rumqttc event loop (it
//! runs alone in its own task, since dropping a half-finished `poll` could
//! tear a packet); [`driver`] is the thin shell between them, the journal
//! and the hub's ack topic.
//!
//! Offline is normal (promise 3): while the hub is unreachable the device
//! keeps recording and the link keeps reconnecting with backoff; on every
//! reconnect everything unacknowledged is resent from the journal, never
//! from an MQTT queue (promise 11).
//!
//! The broker is not trusted (promise 10): [`inbound`] refuses every
//! frame but a sealed, fresh ack or task list for this device, and
//! [`SendState`] never trims past the highest sequence number it
//! published. Task lists go to the device's [`TaskQueue`] through
//! `queue_link`, which acknowledges the version held.

mod driver;
mod health;
#[cfg(test)]
mod heartbeat_tests;
pub mod inbound;
pub(crate) mod link;
mod queue_link;
mod send_state;
mod status;

pub use health::{read_dbm, SignalError, SignalSource};
pub use inbound::{Inbound, InboundCounts, Refusal, Verdict};
pub use link::LinkState;
pub use send_state::{AckOutcome, BatchRange, SendSettings, SendState};

use crate::credentials::DeviceSecrets;
use crate::journal::Journal;
use crate::tasks::{TaskAckSigner, TaskQueue, TaskQueueError};
use protocol::{Topic, TopicError, TopicKind};
use rumqttc::AsyncClient;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Where the hub is, who this device is, and how to pace sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Site id.
    pub site: String,
    /// Device id.
    pub device: String,
    /// Batch size, window and resend timing.
    pub send: SendSettings,
    /// Interval between status heartbeats.
    pub heartbeat: Duration,
    /// A file holding the radio signal in dBm, read for every status
    /// (`None`: statuses report the signal as unknown; see [`SignalSource`]).
    pub signal_file: Option<PathBuf>,
    /// The broker password, the key every batch is signed with (and acks
    /// are sealed with, derived) and its version.
    pub secrets: DeviceSecrets,
}

impl PublisherConfig {
    /// Settings with the default batch size (256), window (64 batches),
    /// resend time (1 s) and heartbeat (10 s), and no signal file.
    pub fn new(
        host: &str,
        port: u16,
        site: &str,
        device: &str,
        secrets: DeviceSecrets,
    ) -> PublisherConfig {
        PublisherConfig {
            secrets,
            host: host.to_string(),
            port,
            site: site.to_string(),
            device: device.to_string(),
            send: SendSettings::default(),
            heartbeat: Duration::from_secs(10),
            signal_file: None,
        }
    }
}

/// Why a publisher could not start.
#[derive(Debug, Error)]
pub enum PublisherError {
    /// The site or device id cannot be a topic segment.
    #[error("cannot build this device's topics: {0}")]
    Topic(#[from] TopicError),
    /// The work queue stored with the journal cannot be read (damaged).
    #[error("{0}")]
    Tasks(#[from] TaskQueueError),
}

/// The battery level the heartbeat reports (shared with the handle).
#[derive(Debug, Clone)]
pub(crate) struct Battery(Arc<AtomicU8>);

impl Battery {
    /// Stored when the level is unknown.
    const UNKNOWN: u8 = u8::MAX;

    fn new() -> Battery {
        Battery(Arc::new(AtomicU8::new(Battery::UNKNOWN)))
    }

    pub(crate) fn get(&self) -> Option<u8> {
        Some(self.0.load(Ordering::Relaxed)).filter(|&pct| pct <= 100)
    }

    fn set(&self, pct: Option<u8>) {
        let stored = pct.map_or(Battery::UNKNOWN, |p| p.min(100));
        self.0.store(stored, Ordering::Relaxed);
    }
}

/// What callers hold while the publisher runs.
#[derive(Debug, Clone)]
pub struct PublisherHandle {
    battery: Battery,
    journaled: Arc<Notify>,
    acked: watch::Receiver<u64>,
    frames: watch::Receiver<InboundCounts>,
    link: watch::Receiver<LinkState>,
    queue: TaskQueue,
    queue_version: watch::Receiver<u64>,
    cancel: CancellationToken,
}

/// The driver's ends of the handle's watches.
pub(crate) struct Watches {
    acked: watch::Sender<u64>,
    frames: watch::Sender<InboundCounts>,
    queue_version: Arc<watch::Sender<u64>>,
}

/// What the driver is built from besides the journal, client and topics.
pub(crate) struct DriverParts {
    health: health::HealthProbe,
    status: status::StatusSigner,
    queue: TaskQueue,
    task_acks: TaskAckSigner,
}

impl PublisherHandle {
    /// The notifier to poke after each record (hand it to a
    /// [`crate::ScanSession`] or call [`PublisherHandle::notify_journaled`]).
    pub fn journaled(&self) -> Arc<Notify> {
        self.journaled.clone()
    }

    /// Tells the publisher that the journal grew.
    pub fn notify_journaled(&self) {
        self.journaled.notify_one();
    }

    /// The hub's acknowledged-through watermark, updated after each trim.
    pub fn acked(&self) -> watch::Receiver<u64> {
        self.acked.clone()
    }

    /// Inbound frames taken and refused so far, by reason.
    pub fn frames(&self) -> InboundCounts {
        *self.frames.borrow()
    }

    /// Where the link to the hub stands (a refused login included).
    pub fn link_state(&self) -> watch::Receiver<LinkState> {
        self.link.clone()
    }

    /// Waits until the hub acknowledged `seq`; false if the publisher ended first.
    pub async fn wait_acked(&self, seq: u64) -> bool {
        let mut acked = self.acked.clone();
        let reached = acked.wait_for(|&through| through >= seq).await.is_ok();
        reached
    }

    /// The device's work queue, as the publisher keeps it (clones share it).
    pub fn tasks(&self) -> TaskQueue {
        self.queue.clone()
    }

    /// The version of the work queue held, updated after each newer list
    /// is stored (watch it to redraw the queue).
    pub fn queue_version(&self) -> watch::Receiver<u64> {
        self.queue_version.clone()
    }

    /// Sets the battery level the next heartbeats report (percent, capped
    /// at 100; `None`: unknown).
    pub fn set_battery(&self, pct: Option<u8>) {
        self.battery.set(pct);
    }

    /// The token that stops the publisher (cancel it to shut down).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

/// Sets up the publisher for `journal` (and the work queue stored with
/// it, see [`PublisherHandle::tasks`]): returns the handle and the future
/// that runs it until `cancel` (spawn it). On cancel it publishes an
/// Offline status and disconnects cleanly, waiting at most about a second.
pub fn run_publisher(
    journal: Journal,
    config: PublisherConfig,
    cancel: CancellationToken,
) -> Result<(PublisherHandle, impl Future<Output = ()> + Send + 'static), PublisherError> {
    let topics = driver::Topics::new(&config.site, &config.device)?;
    let status = status::StatusSigner::new(&config.site, &config.device, &config.secrets.key);
    let queue = TaskQueue::open(&journal)?;
    let task_acks = TaskAckSigner::new(&config.site, &config.device, &config.secrets.key);
    let options = link::mqtt_options(&config);
    let capacity = config.send.max_batches_in_flight + 64;
    let (client, mut eventloop) = AsyncClient::new(options, capacity);
    // A batch of one scan must leave now, not wait for Nagle's algorithm.
    let mut network = eventloop.network_options();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let journaled = Arc::new(Notify::new());
    let (acked_tx, acked_rx) = watch::channel(journal.acked());
    let (frames_tx, frames_rx) = watch::channel(InboundCounts::default());
    let (link_tx, link_rx) = watch::channel(LinkState::Connecting);
    let (version_tx, version_rx) = watch::channel(queue.version());
    let battery = Battery::new();
    let signal = SignalSource::new(config.signal_file.clone());
    let health = health::HealthProbe::new(journal.clone(), battery.clone(), signal);
    let handle = PublisherHandle {
        battery: battery.clone(),
        journaled: journaled.clone(),
        acked: acked_rx,
        frames: frames_rx,
        link: link_rx,
        queue: queue.clone(),
        queue_version: version_rx,
        cancel: cancel.clone(),
    };
    let watches = Watches {
        acked: acked_tx,
        frames: frames_tx,
        queue_version: Arc::new(version_tx),
    };
    let will = link::Will {
        topic: topics.status.clone(),
        signer: status.clone(),
        health: health.clone(),
    };
    will.renew(&mut eventloop);
    let parts = DriverParts {
        health,
        status: status.clone(),
        queue,
        task_acks,
    };
    let driver = driver::Driver::new(journal, client, &config, topics, watches, parts);
    let task = async move {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let pump = link::pump(eventloop, will, events_tx, link_tx, cancel.clone());
        let pump = tokio::spawn(pump);
        driver.run(events_rx, journaled, cancel).await;
        if let Err(e) = pump.await {
            warn!(error = %e, "MQTT link task failed");
        }
    };
    Ok((handle, task))
}

/// The topics of one device.
pub(crate) fn device_topic(
    site: &str,
    device: &str,
    kind: TopicKind,
) -> Result<String, TopicError> {
    Ok(Topic::new(site, device, kind)?.to_string())
}
