//! `firmware-sim fleet`: N simulated handhelds in one process against a
//! real hub, over MQTT only, with seeded faults; then the verdict from the
//! hub's HTTP API: nothing confirmed may be lost, nothing applied twice.
//!
//! Map: [`device`] is one handheld (the agent's own library), [`picker`]
//! what it scans, [`faults`] what befalls it, [`wifi`] the proxy that takes
//! its network away, [`acks`] its scan-to-ack clock, [`hub_api`] what the
//! hub says, [`report`] the verdict. It never links the hub: the hub under
//! test is whatever listens at `--hub`.

pub mod acks;
pub mod device;
pub mod faults;
pub mod hub_api;
pub mod picker;
pub mod report;
pub mod scan_work;
pub mod wifi;

use crate::labels::gtin;
use device::{run_device, DeviceReport, DeviceSpec};
use faults::{FaultPlan, FaultRates};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use picker::Picker;
use report::FleetReport;
use scan_work::JournalHome;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio_util::sync::CancellationToken;
use wifi::Wifi;

/// Past this many devices the journals share one sled database (a tree
/// each), as one process would otherwise run out of file descriptors.
pub const DIR_JOURNALS_UP_TO: usize = 1000;

/// How a fleet run is set up.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The hub's MQTT broker.
    pub hub: SocketAddr,
    /// The hub's HTTP API.
    pub http: SocketAddr,
    /// The bearer token it is called with (a viewer's is enough).
    pub http_token: hub_api::HttpToken,
    /// Site id.
    pub site: String,
    /// Handhelds.
    pub devices: usize,
    /// Scans per second per device.
    pub rate: f64,
    /// How long they scan.
    pub duration: Duration,
    /// Seed of every random choice.
    pub seed: u64,
    /// Fault rates.
    pub faults: FaultRates,
    /// Where the journals go.
    pub data: PathBuf,
    /// Run tag in device ids, locations (unique per run: a hub keeps
    /// watermarks, so reused ids would start behind them).
    pub tag: String,
    /// Double-read window.
    pub double_read_window: Duration,
    /// How long to wait for every backlog after the run.
    pub drain_timeout: Duration,
    /// Products (GTINs) in the catalogue; each device stocks them in its
    /// own 6 slots, 3 lots each, so the hub ends with at most devices x
    /// products x 18 stock rows.
    pub products: u32,
    /// Each device's secrets, by index (from `--credentials`).
    pub secrets: Vec<agent::DeviceSecrets>,
}

/// The id of device `index` of a run tagged `tag`.
pub fn device_id(tag: &str, index: usize) -> String {
    format!("fs{tag}-{index:04}")
}

/// Why a run could not take place (a verdict of loss is not an error).
#[derive(Debug, Error)]
pub enum FleetError {
    /// Bad settings.
    #[error("{0}")]
    Config(String),
    /// Local I/O (data directory, proxy socket).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// sled.
    #[error("shared journal database: {0}")]
    Sled(#[from] sled::Error),
    /// The hub's API.
    #[error("{0}")]
    HubApi(#[from] hub_api::HubApiError),
}

/// Live counts for the progress display.
#[derive(Debug, Default)]
pub struct FleetCounters {
    /// Movements confirmed.
    pub confirmed: AtomicU64,
    /// Movements acknowledged.
    pub acked: Arc<AtomicU64>,
    /// Wi-Fi drops.
    pub wifi_drops: AtomicU64,
    /// Power losses.
    pub power_losses: AtomicU64,
}

/// Runs the fleet and returns the report (print it; check `passed`).
pub async fn run_fleet(config: &FleetConfig) -> Result<FleetReport, FleetError> {
    if config.devices == 0 || !(config.rate > 0.0 && config.rate <= 1000.0) {
        return Err(FleetError::Config(
            "need at least one device and a rate above 0 and at most 1000 scans/s".into(),
        ));
    }
    std::fs::create_dir_all(&config.data)?;
    let cancel = CancellationToken::new();
    let wifi = match config.faults.any() {
        true => Some(Wifi::start(config.hub, cancel.clone()).await?),
        false => None,
    };
    let broker = wifi.as_ref().map_or(config.hub, Wifi::addr);
    let shared = match config.devices > DIR_JOURNALS_UP_TO {
        true => Some(
            sled::Config::new()
                .path(config.data.join("shared"))
                .flush_every_ms(None)
                .open()?,
        ),
        false => None,
    };
    let counters = Arc::new(FleetCounters::default());
    let tasks = spawn_devices(config, broker, wifi.as_ref(), shared.as_ref(), &counters);
    let progress = tokio::spawn(show_progress(
        counters.clone(),
        config.duration,
        cancel.clone(),
    ));
    let mut reports: Vec<DeviceReport> = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok(report) => reports.push(report),
            Err(e) => reports.push(DeviceReport {
                error: Some(format!("device task failed: {e}")),
                ..DeviceReport::default()
            }),
        }
    }
    cancel.cancel();
    let _ = progress.await;
    if let Some(db) = &shared {
        db.flush()?;
    }
    let devices = hub_api::devices(config.http, &config.http_token).await?;
    let stock = hub_api::stock(config.http, &config.http_token).await?;
    Ok(FleetReport::new(config, &reports, &devices, &stock))
}

/// Starts every device; each ends with its report.
fn spawn_devices(
    config: &FleetConfig,
    broker: SocketAddr,
    wifi: Option<&Wifi>,
    shared: Option<&sled::Db>,
    counters: &Arc<FleetCounters>,
) -> Vec<tokio::task::JoinHandle<DeviceReport>> {
    let gtins = Arc::new(
        (0..config.products)
            .map(|i| gtin(i + (config.seed % 1000) as u32 * config.products))
            .collect::<Vec<_>>(),
    );
    let period = Duration::from_secs_f64(1.0 / config.rate);
    // Time for every device to connect before the first scan (3 ms each).
    let warm_up = Duration::from_millis(1000 + 3 * config.devices as u64);
    let begin = tokio::time::Instant::now() + warm_up;
    let end = begin + config.duration;
    let mut tasks = Vec::with_capacity(config.devices);
    for index in 0..config.devices {
        let id = device_id(&config.tag, index);
        let Some(secrets) = config.secrets.get(index).cloned() else {
            tracing::error!(%id, "no credentials for this device; not started");
            continue;
        };
        let home = match shared {
            Some(db) => JournalHome::Shared(db.clone()),
            None => JournalHome::Dir(config.data.join(&id)),
        };
        let phase = period.mul_f64(index as f64 / config.devices as f64);
        let spec = DeviceSpec {
            index,
            id,
            site: config.site.clone(),
            home,
            broker: (broker.ip().to_string(), broker.port()),
            wifi: wifi.cloned(),
            period,
            start: begin + phase,
            end,
            plan: FaultPlan::new(config.seed, index, config.faults, period),
            picker: Picker::new(index, &config.tag, gtins.clone()),
            counters: counters.clone(),
            double_read_window: config.double_read_window,
            drain_timeout: config.drain_timeout,
            secrets,
        };
        tasks.push(tokio::spawn(run_device(spec)));
    }
    tasks
}

async fn show_progress(
    counters: Arc<FleetCounters>,
    duration: Duration,
    cancel: CancellationToken,
) {
    let target = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(duration.as_secs().max(1)), target);
    let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} s  {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        bar.set_position(started.elapsed().as_secs().min(duration.as_secs()));
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        bar.set_message(format!(
            "confirmed {} acked {} | wifi drops {} power losses {}",
            load(&counters.confirmed),
            load(&counters.acked),
            load(&counters.wifi_drops),
            load(&counters.power_losses),
        ));
    }
    bar.finish_and_clear();
}
