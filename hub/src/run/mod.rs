//! Starting and stopping the whole hub: store, broker, writer thread, MQTT
//! shell and HTTP server, all stopped by one cancellation token.

use crate::api::{self, AppState};
use crate::clock::{SharedClock, SystemClock};
use crate::config::HubConfig;
use crate::devices::fleet::Fleet;
use crate::devices::{reload, Devices, InternalLogin, Registry, RegistryError};
use crate::health::parts::Parts;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::net::broker::child::ChildArgs;
use crate::net::broker::probe::ProbeLogin;
use crate::net::broker::supervisor::{BrokerChild, ProbePlan, RunningBroker};
use crate::net::broker::{BrokerError, Supervisor};
use crate::net::mqtt::{self, MqttSettings};
use crate::net::outbound::Outbound;
use crate::net::sealer::Sealer;
use crate::net::timers;
use crate::sites::stock::StockPublisher;
use crate::store::{Store, StoreError};
use crate::tokens::{self, TokenError, TokenRegistry, Tokens};
use crate::writer::reserved_view::ReservedView;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub mod archiver;
mod external;
pub mod orders;
mod writer;
use writer::{build_writer, Shared};

/// How long a file watcher (registry, tokens; polled four times a second)
/// may go without a sign of life.
/// Commands the writer's queue holds before senders wait (back pressure
/// on the MQTT loop and HTTP handlers). About 16 full groups: enough to
/// keep the writer busy through a burst, while a hub that falls behind
/// holds at most this many payloads in memory (it was 65,536; the soak's
/// memory grows while the hub is behind, and this queue is one suspect).
const COMMAND_QUEUE: usize = 8_192;

const FILE_PATIENCE: Duration = Duration::from_secs(10);
/// How long the HTTP accept loop (round at least once a second) may.
const HTTP_PATIENCE: Duration = Duration::from_secs(10);

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
    /// The external broker's settings cannot be used.
    #[error(transparent)]
    External(#[from] crate::net::external::ExternalError),
    /// Another live hub owns the site on the shared broker.
    #[error(transparent)]
    Owner(#[from] crate::sites::owner::OwnerError),
    /// The hub's site signing key cannot be had.
    #[error(transparent)]
    Signing(#[from] crate::sites::signing::SigningError),
    /// The external broker's Mosquitto files cannot be written.
    #[error(transparent)]
    AclSync(#[from] crate::net::external::acl_sync::AclSyncError),
    /// The device registry cannot be read (or no secret could be made).
    #[error(transparent)]
    Devices(#[from] RegistryError),
    /// The API token file cannot be read, or the first token not written.
    #[error(transparent)]
    Tokens(#[from] TokenError),
    /// The stored pool is not the replay of its event log (promise 6).
    #[error(
        "the stored pool differs from the replay of the event log in {count} place(s), first: \
         {first}; refusing to start (`hub verify --data DIR` lists them all)"
    )]
    PoolMismatch {
        /// How many stock entries differ.
        count: usize,
        /// The first one, printable.
        first: String,
    },
    /// The master key or the region table is unusable.
    #[error(transparent)]
    Orders(#[from] orders::OrderSetupError),
    /// A task or thread died.
    #[error("hub task failed: {0}")]
    Task(String),
    /// The configured carrier cannot be used (its secret unset, ...).
    #[error("labels.carrier: {0}")]
    Carrier(#[from] crate::carriers::CarrierError),
    /// A configured shop platform cannot be used.
    #[error("labels.platforms: {0}")]
    Platform(#[from] crate::writeback::WritebackError),
}

/// A hub started by [`start`].
pub struct RunningHub {
    /// Where HTTP is served.
    pub http_addr: SocketAddr,
    /// Cancel this to stop the hub.
    pub cancel: CancellationToken,
    /// Cancelled by the upkeep when the store's data file is past its
    /// limit: [`run`] then stops the hub, compacts and starts it again.
    pub compact_due: CancellationToken,
    /// Store handle (for in-process tests and benchmarks).
    pub store: Store,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The writer's queue (benchmarks drive the pool core through it).
    pub commands: mpsc::Sender<crate::writer::Command>,
    done: JoinHandle<Result<(), HubError>>,
}

impl RunningHub {
    /// Waits for the hub to stop (after `cancel`), with its final result.
    pub async fn wait(self) -> Result<(), HubError> {
        // The writer stops once every sender is gone, this one included.
        drop(self.commands);
        self.done.await.map_err(|e| HubError::Task(e.to_string()))?
    }
}

/// Starts every part of the hub and returns once they are listening.
pub async fn start(config: HubConfig) -> Result<RunningHub, HubError> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// [`start`] with an injected clock (tests of hold expiry and restarts).
pub async fn start_with_clock(
    config: HubConfig,
    clock: SharedClock,
) -> Result<RunningHub, HubError> {
    let target = external::broker_target(&config)?;
    // A corrupt registry stops the start here, naming the file.
    let registry = Registry::new(&config.data_dir);
    let (book, generation) = reload::load_versioned(&registry)?;
    let counts = book.counts();
    let devices = Devices::new(book);
    let login = external::hub_login(&config)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StoreError::Sled(e.into()))?;
    let compactions = compact_before_open(&config).await?;
    let store = Store::open_with_cache(&config.data_dir, config.store_cache_mb << 20)?;
    refuse_mismatched_pool(&store)?;
    // Only a store that opened gets a first-start token: a refused start
    // must leave the data directory exactly as it found it.
    let token_registry = TokenRegistry::new(&config.data_dir);
    let tokens = Tokens::new(first_tokens(&token_registry)?);
    // Durable before any ack carries it: sealed frames must only grow.
    let boot = store.next_boot()?;
    let sealer = Sealer::new(&config.site, devices.clone(), boot).map_err(RegistryError::from)?;
    let metrics = Arc::new(Metrics::default());
    metrics.registry_loaded(counts, generation);
    metrics
        .store_compactions
        .store(compactions, std::sync::atomic::Ordering::Relaxed);
    let fleet = Arc::new(Fleet::default());
    let reserved = Arc::new(ReservedView::default());
    let feed = crate::feed::FeedBus::default();
    let shared = Shared {
        store: &store,
        metrics: &metrics,
        fleet: &fleet,
        clock: &clock,
        reserved: &reserved,
        devices: &devices,
        feed: &feed,
    };
    let (writer, floor, regions, vault) = build_writer(&config, shared)?;
    let carrier = match &config.labels.carrier {
        Some(c) => Some(Arc::from(c.build()?)),
        None => None,
    };
    let listener = http_listener(config.http_listen).map_err(|source| HubError::Http {
        addr: config.http_listen,
        source,
    })?;
    let http_addr = listener.local_addr().map_err(|source| HubError::Http {
        addr: config.http_listen,
        source,
    })?;
    let broker = match config.external_broker.address {
        None => Some(start_broker(&config, &login, &metrics).await?),
        Some(_) => None,
    };
    let cancel = CancellationToken::new();
    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ack_tx, ack_rx) = mpsc::unbounded_channel();
    let (queue_tx, queue_rx) = mpsc::unbounded_channel();
    let (labelled_tx, labelled_rx) = mpsc::unbounded_channel();
    let writebacks = crate::writeback::worker::Writebacks::default();
    let worker = crate::writeback::worker::Worker {
        store: store.clone(),
        platforms: platforms(&config)?,
        writebacks: writebacks.clone(),
        labelled: labelled_rx,
    };
    let writer = writer.with_queue_notices(queue_tx);
    let writer_thread = std::thread::Builder::new()
        .name("pool-writer".into())
        .spawn(move || writer.run(cmd_rx, ack_tx))
        .map_err(|e| HubError::Task(e.to_string()))?;
    let sites = external::site_side(
        &config,
        &login,
        &target,
        |key| StockPublisher {
            site: config.site.clone(),
            key,
            commands: cmd_tx.clone(),
            feed: feed.clone(),
        },
        (&cmd_tx, &regions),
    )
    .await?;
    // Only once no other live hub owns the site: a refused hub must not
    // rewrite the site's part of the broker's files.
    let acl_sync = external::acl_sync(&config, &login)?;
    let settings = MqttSettings {
        host: target.host,
        port: target.port,
        tls: target.tls,
        sites,
        site: config.site.clone(),
        login,
    };
    let outbound = Outbound {
        acks: ack_rx,
        queues: queue_rx,
        vault: Some(vault),
        labelled: Some(labelled_tx),
        sealer,
        store: store.clone(),
        site: config.site.clone(),
        pack_stations: config.tasks.pack_stations.clone(),
        remarks: Default::default(),
        audit: Some(cmd_tx.clone()),
    };
    let health = Arc::new(Health::new(metrics.clone(), &cmd_tx, floor));
    let mut parts = Parts::new(health.clone(), cancel.clone());
    let c = cancel.clone();
    let m = metrics.clone();
    parts.spawn_beating("mqtt", mqtt::PATIENCE, |beat| {
        mqtt::run(settings, cmd_tx.clone(), outbound, m, beat, c)
    });
    if let Some((supervisor, first)) = broker {
        let c = cancel.clone();
        parts.spawn_beating("broker", supervisor.patience(), |beat| {
            supervisor.run(first, beat, c)
        });
    }
    timers::spawn(&mut parts, &config, &cmd_tx, &clock, &cancel);
    let (c, s) = (cancel.clone(), store.clone());
    let upkeep = archiver::Upkeep {
        archive: crate::store::archive::ArchivePolicy {
            keep: config.event_log_keep,
            segment: config.event_log_segment,
        },
        relocate: crate::store::relocate::RelocatePolicy {
            grow: config.store_relocate_mb << 20,
            ..Default::default()
        },
        compact: compact_policy(&config),
    };
    let compact_due = CancellationToken::new();
    let (m, due, clk) = (metrics.clone(), compact_due.clone(), clock.clone());
    parts.spawn_beating("log-archive", archiver::ARCHIVE_PATIENCE, |beat| {
        archiver::archiver(s, upkeep, m, clk, due, beat, c)
    });
    let c = cancel.clone();
    parts.spawn_beating("writeback", crate::writeback::worker::PATIENCE, |beat| {
        crate::writeback::worker::run(worker, beat, c)
    });
    let webhooks = crate::webhooks::worker::spawn(&mut parts, &store, &feed, &cancel)?;
    let (c, m) = (cancel.clone(), metrics.clone());
    parts.spawn_beating("device-registry", FILE_PATIENCE, |beat| {
        let file = registry.clone();
        reload::watch(registry, devices, beat, c, move |counts, generation| {
            m.registry_loaded(counts, generation);
            if let Some(sync) = &acl_sync {
                sync.write_and_reload(&file);
            }
        })
    });
    let (c, t) = (cancel.clone(), tokens.clone());
    parts.spawn_beating("token-file", FILE_PATIENCE, |beat| {
        tokens::watch(token_registry, t, beat, c)
    });
    let state = AppState {
        store: store.clone(),
        metrics: metrics.clone(),
        fleet,
        site: config.site.clone(),
        commands: cmd_tx.clone(),
        reserved,
        erp_stock_csv: config.erp_stock_csv.clone(),
        tokens,
        health,
        regions,
        site_utc_offset_minutes: config.site_utc_offset_minutes,
        labels: Arc::new(config.labels.clone()),
        carrier,
        writebacks,
        feed,
        webhooks,
        cancel: cancel.clone(),
    };
    let c = cancel.clone();
    parts.spawn_beating("http", HTTP_PATIENCE, |beat| {
        serve_http(listener, state, config.clone(), beat, c)
    });
    info!(%http_addr, mqtt = %config.mqtt_listen, site = %config.site, boot, "hub started");
    let done = tokio::spawn(async move {
        let dead = parts.watch().await;
        // Every command sender (MQTT shell, timers, HTTP state) is gone:
        // the writer now drains what is queued, commits it, and returns.
        let writer_result = tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(|e| HubError::Task(e.to_string()))?
            .map_err(|_| HubError::Task("writer thread panicked".into()))?;
        writer_result.map_err(HubError::from)?;
        match dead {
            Some(part) => Err(HubError::Task(format!("{part} stopped while the hub ran"))),
            None => Ok(()),
        }
    });
    Ok(RunningHub {
        http_addr,
        cancel,
        compact_due,
        store,
        metrics,
        commands: cmd_tx,
        done,
    })
}

/// Starts the embedded broker's process and its supervisor.
async fn start_broker(
    config: &HubConfig,
    login: &InternalLogin,
    metrics: &Arc<Metrics>,
) -> Result<(Supervisor, RunningBroker), HubError> {
    let program = match &config.broker_program {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|source| BrokerError::Spawn {
            program: "hub".into(),
            source,
        })?,
    };
    let child = BrokerChild {
        program,
        args: ChildArgs {
            listen: config.mqtt_listen,
            data_dir: config.data_dir.clone(),
            site: config.site.clone(),
        },
        secret: login.password.clone(),
    };
    let probe = ProbeLogin {
        host: config.mqtt_listen.ip().to_string(),
        port: config.mqtt_listen.port(),
        site: config.site.clone(),
        client_id: login.probe_client_id(),
        username: login.username.clone(),
        password: login.password.clone(),
    };
    let plan = ProbePlan {
        every: Duration::from_millis(config.broker_probe_interval_ms),
        timeout: Duration::from_millis(config.broker_probe_timeout_ms),
        failures: config.broker_probe_failures,
    };
    Ok(Supervisor::start(child, probe, plan, metrics.clone()).await?)
}

/// The API tokens at start. A data directory that never had one gets an
/// operator token in a 0600 file, so a fresh hub can be used at once; the
/// log says where, never what.
fn first_tokens(registry: &TokenRegistry) -> Result<tokens::TokenBook, TokenError> {
    if let Some(path) = registry.bootstrap(crate::clock::wall_ms())? {
        info!(file = %path.display(), "no API tokens yet: made an operator token, in this file only (mode 0600)");
    }
    tokens::load_book(registry)
}

/// A pool that is not the replay of its log is never served.
fn refuse_mismatched_pool(store: &Store) -> Result<(), HubError> {
    let differences = &store.start_check().stock_differences;
    match differences.first() {
        None => Ok(()),
        Some(d) => Err(HubError::PoolMismatch {
            count: differences.len(),
            first: format!(
                "sku={} location={} lot={:?} stored={} replayed={}",
                d.sku, d.location, d.lot, d.stored, d.replayed
            ),
        }),
    }
}

/// Serves the API until `cancel`, finishing the requests in flight, with
/// every connection bounded (api::serve).
async fn serve_http(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: HubConfig,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
) {
    api::serve::serve_api(listener, state, &config, beat, cancel).await;
}

/// The HTTP listener (api::serve::listener: backlog for bursts; raises
/// the open-file limit first).
fn http_listener(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    api::serve::listener(addr)
}

/// Runs the hub until `cancel` fires, then stops it cleanly.
pub async fn run(config: HubConfig, cancel: CancellationToken) -> Result<(), HubError> {
    loop {
        let hub = start(config.clone()).await?;
        let hub_cancel = hub.cancel.clone();
        let compact_due = hub.compact_due.clone();
        tokio::select! {
            _ = cancel.cancelled() => hub_cancel.cancel(),
            _ = compact_due.cancelled() => hub_cancel.cancel(),
            _ = hub_cancel.cancelled() => {}
        }
        let closed = hub.store.closed();
        hub.wait().await?;
        if cancel.is_cancelled() || !compact_due.is_cancelled() {
            return Ok(());
        }
        tracing::warn!("restarting the hub in-process to compact its store");
        let dir = config.data_dir.clone();
        let wait = move || store_let_go(&dir, &closed);
        tokio::task::spawn_blocking(wait)
            .await
            .map_err(|e| HubError::Task(e.to_string()))??;
    }
}

/// Waits until the stopped hub's store is closed (its seal and manifest
/// written) and sled has let go of its files, so the next run opens it
/// alone; a store still held after 30 s stops the hub with an error.
fn store_let_go(dir: &std::path::Path, closed: &crate::store::Closed) -> Result<(), HubError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !closed.is_closed() {
        if std::time::Instant::now() > deadline {
            return Err(HubError::Task(
                "the store is still open 30 s after the hub stopped; not restarting".into(),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    if !storeseal::wait_released(dir, std::time::Duration::from_secs(30)) {
        return Err(HubError::Task(
            "sled still holds the store 30 s after the hub stopped; not restarting".into(),
        ));
    }
    Ok(())
}

/// The store's compaction policy from the configuration.
fn compact_policy(config: &HubConfig) -> crate::store::compact::CompactPolicy {
    let quiet = crate::config::parse_time_of_day(&config.store_compact_at)
        .ok()
        .flatten()
        .map(|minute_of_day| crate::store::compact::QuietHour {
            minute_of_day,
            offset_minutes: config.site_utc_offset_minutes,
        });
    crate::store::compact::CompactPolicy {
        limit: config.store_compact_mb << 20,
        quiet,
    }
}

/// Finishes an interrupted compaction and compacts the store if it is due,
/// before it opens (on the blocking pool: a copy takes seconds).
async fn compact_before_open(config: &HubConfig) -> Result<u64, HubError> {
    let dir = config.data_dir.clone();
    let policy = compact_policy(config);
    let started = std::time::Instant::now();
    let done = tokio::task::spawn_blocking(move || {
        crate::store::compact::compact_if_due(&dir, policy)
            .map(|done| (done, crate::store::compact::record(&dir).count))
    })
    .await
    .map_err(|e| HubError::Task(e.to_string()))??;
    if let (Some(c), _) = done {
        tracing::info!(
            before_mib = c.before >> 20,
            after_mib = c.after >> 20,
            records = c.records,
            ms = started.elapsed().as_millis() as u64,
            "compacted the store"
        );
    }
    Ok(done.1)
}

/// The shop platforms of `[labels] platforms`, by name.
fn platforms(config: &HubConfig) -> Result<crate::writeback::worker::Platforms, HubError> {
    let mut out = crate::writeback::worker::Platforms::new();
    for p in &config.labels.platforms {
        let adapter: Arc<dyn crate::writeback::Platform> = Arc::from(p.build()?);
        out.insert(adapter.name().to_string(), adapter);
    }
    Ok(out)
}
