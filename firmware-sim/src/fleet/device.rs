//! One simulated handheld: the agent's own library (sled journal, scanner
//! driver over an in-memory engine, double-read filter, GS1 flow,
//! publisher), a picker scanning at a steady rate, and the faults its
//! seeded plan draws: Wi-Fi drops through the proxy, power loss (all
//! process state dropped, the journal reopened from disk), clock jumps,
//! double reads, and a battery that drains until it is swapped.
//!
//! Why the real library and not a model: the fleet's verdict (nothing
//! lost, nothing doubled) is about the code a handheld runs.

use super::acks::{watch_acks, AckClock};
use super::faults::FaultPlan;
use super::picker::{Expected, Picker, PlannedScan};
use super::scan_work::{open_journal, JournalHome, ScanWork};
use super::wifi::Wifi;
use super::FleetCounters;
use crate::memory_engine::{MemoryEngine, SimScanner};
use agent::scanner::{DoubleReadFilter, ReadOutcome, ScannerSession};
use agent::{run_publisher, Journal, PublisherConfig, PublisherHandle};
use protocol::MovementKind;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Everything a device needs to run.
pub struct DeviceSpec {
    /// Position in the fleet.
    pub index: usize,
    /// Device id.
    pub id: String,
    /// Site id.
    pub site: String,
    /// Its journal.
    pub home: JournalHome,
    /// The broker (or the Wi-Fi proxy in front of it).
    pub broker: (String, u16),
    /// The Wi-Fi proxy, when faults are on.
    pub wifi: Option<Wifi>,
    /// Time between scans.
    pub period: Duration,
    /// First scan.
    pub start: tokio::time::Instant,
    /// No scan at or after this.
    pub end: tokio::time::Instant,
    /// The device's faults.
    pub plan: FaultPlan,
    /// The picker.
    pub picker: Picker,
    /// Fleet-wide counters for the progress display.
    pub counters: Arc<FleetCounters>,
    /// The double-read window.
    pub double_read_window: Duration,
    /// How long to wait for the backlog after the run.
    pub drain_timeout: Duration,
    /// Its broker password and batch key.
    pub secrets: agent::DeviceSecrets,
}

/// What one device did.
#[derive(Debug, Default)]
pub struct DeviceReport {
    /// Device id.
    pub id: String,
    /// Movements confirmed (the journal's last sequence number).
    pub confirmed: u64,
    /// Physical carton scans confirmed.
    pub scans: u64,
    /// Reads refused (none expected: every label is valid).
    pub refused: u64,
    /// Extra movements from one physical scan (a leaked double read).
    pub leaks: u64,
    /// Double reads injected and suppressed.
    pub double_reads: (u64, u64),
    /// Wi-Fi drops, power losses, clock jumps, battery swaps.
    pub faults: [u64; 4],
    /// Whether every confirmed scan was acknowledged before the deadline.
    pub drained: bool,
    /// Stock this device expects at the hub.
    pub expected: Expected,
    /// Scan-to-ack latencies: all, and those no fault touched.
    pub latency: (Vec<Duration>, Vec<Duration>),
    /// Why the device stopped early, if it did.
    pub error: Option<String>,
}

/// How long after a fault ends the link may still be catching up (the
/// agent's reconnect backoff tops out at 2 s).
const RECOVERY: Duration = Duration::from_secs(3);

struct Powered {
    journal: Journal,
    session: Option<ScannerSession>,
    scanner: Option<SimScanner>,
    engine: MemoryEngine,
    handle: PublisherHandle,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    watcher: JoinHandle<()>,
}

struct Handheld {
    spec: DeviceSpec,
    powered: Option<Powered>,
    power_back: Option<tokio::time::Instant>,
    wifi_back: Option<tokio::time::Instant>,
    /// Scans before this instant count as touched by a fault: it is the
    /// end of the last fault (or the last power-on) plus [`RECOVERY`].
    disturbed_until: tokio::time::Instant,
    skew_ms: i64,
    battery: f64,
    drain: f64,
    clock: AckClock,
    report: DeviceReport,
}

/// Runs one device to the end of the run and through the drain.
pub async fn run_device(spec: DeviceSpec) -> DeviceReport {
    let mut h = Handheld::new(spec);
    if let Err(e) = h.life().await {
        h.report.error = Some(e);
    }
    h.finish().await
}

impl Handheld {
    fn new(mut spec: DeviceSpec) -> Handheld {
        let (battery, drain) = spec.plan.battery();
        let report = DeviceReport {
            id: spec.id.clone(),
            ..DeviceReport::default()
        };
        Handheld {
            spec,
            powered: None,
            power_back: None,
            wifi_back: None,
            disturbed_until: tokio::time::Instant::now(),
            skew_ms: 0,
            battery,
            drain,
            clock: AckClock::default(),
            report,
        }
    }

    fn client_id(&self) -> String {
        // The agent's MQTT client id (agent::publisher::link).
        format!("agent-{}-{}", self.spec.site, self.spec.id)
    }

    async fn life(&mut self) -> Result<(), String> {
        self.power_on().await?;
        let mut ticker = tokio::time::interval_at(self.spec.start, self.spec.period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let at = ticker.tick().await;
            if at >= self.spec.end {
                return Ok(());
            }
            self.tick(at).await?;
        }
    }

    async fn tick(&mut self, now: tokio::time::Instant) -> Result<(), String> {
        if self.wifi_back.is_some_and(|at| now >= at) {
            self.wifi_back = None;
            self.set_wifi(self.powered.is_some());
        }
        if let Some(at) = self.power_back {
            if now < at {
                return Ok(());
            }
            self.power_back = None;
            self.power_on().await?;
        }
        self.battery -= self.drain;
        if self.battery <= 0.0 {
            let swap = self.spec.plan.swap_time();
            self.report.faults[3] += 1;
            self.battery = 100.0;
            self.power_off(now + swap).await;
            return Ok(());
        }
        if let Some(p) = &self.powered {
            p.handle.set_battery(Some(self.battery.ceil() as u8));
        }
        let faults = self.spec.plan.tick();
        if let Some(off) = faults.power_loss {
            self.report.faults[1] += 1;
            self.spec
                .counters
                .power_losses
                .fetch_add(1, Ordering::Relaxed);
            self.power_off(now + off).await;
            return Ok(());
        }
        if let (Some(drop), None) = (faults.wifi_drop, self.wifi_back) {
            self.report.faults[0] += 1;
            self.spec
                .counters
                .wifi_drops
                .fetch_add(1, Ordering::Relaxed);
            self.wifi_back = Some(now + drop);
            self.set_wifi(false);
            self.disturbed(now + drop);
        }
        if let Some(ms) = faults.clock_jump_ms {
            self.report.faults[2] += 1;
            self.skew_ms = ms;
        }
        self.scan().await
    }

    /// A fault lasting until `until` began.
    fn disturbed(&mut self, until: tokio::time::Instant) {
        self.clock.fault();
        self.disturbed_until = self.disturbed_until.max(until + RECOVERY);
    }

    fn set_wifi(&self, up: bool) {
        if let Some(wifi) = &self.spec.wifi {
            wifi.set_down(&self.client_id(), !up);
        }
    }

    async fn power_on(&mut self) -> Result<(), String> {
        let journal = open_journal(&self.spec.home, &self.spec.id).await?;
        let cancel = CancellationToken::new();
        let (host, port) = &self.spec.broker;
        let secrets = self.spec.secrets.clone();
        let mut config = PublisherConfig::new(host, *port, &self.spec.site, &self.spec.id, secrets);
        config.heartbeat = Duration::from_secs(5);
        let (handle, task) =
            run_publisher(journal.clone(), config, cancel.clone()).map_err(|e| e.to_string())?;
        handle.set_battery(Some(self.battery.ceil() as u8));
        let task = tokio::spawn(task);
        let acked = self.spec.counters.acked.clone();
        let watcher = tokio::spawn(watch_acks(handle.acked(), self.clock.clone(), acked));
        let engine = MemoryEngine::default();
        let mut scanner = engine.scanner();
        scanner.init().map_err(|e| e.to_string())?;
        let filter = DoubleReadFilter::new(self.spec.double_read_window);
        let session = ScannerSession::new(
            journal.clone(),
            handle.journaled(),
            MovementKind::Pick,
            filter,
        );
        self.powered = Some(Powered {
            journal,
            session: Some(session),
            scanner: Some(scanner),
            engine,
            handle,
            cancel,
            task,
            watcher,
        });
        self.spec.picker.power_cycled();
        self.set_wifi(self.wifi_back.is_none());
        // A (re)started device is still connecting: its first scans are
        // not fault-free either.
        let now = tokio::time::Instant::now();
        self.disturbed_until = self.disturbed_until.max(now + RECOVERY);
        Ok(())
    }

    /// Power loss: the network goes first (no goodbye reaches the hub),
    /// then every piece of process state; only the journal on disk stays.
    async fn power_off(&mut self, back: tokio::time::Instant) {
        self.set_wifi(false);
        self.disturbed(back);
        if let Some(p) = self.powered.take() {
            p.cancel.cancel();
            let _ = p.task.await;
            p.watcher.abort();
        }
        self.power_back = Some(back);
    }

    async fn scan(&mut self) -> Result<(), String> {
        let Some(p) = self.powered.as_mut() else {
            return Ok(());
        };
        let planned = self.spec.picker.plan(self.spec.plan.rng());
        let mut lines = 0;
        for read in &planned.reads {
            lines += 1;
            if self.spec.plan.double_read() {
                p.engine.queue_double(read);
                lines += 1;
                self.report.double_reads.0 += 1;
            } else {
                p.engine.queue(read);
            }
        }
        let (Some(scanner), Some(session)) = (p.scanner.take(), p.session.take()) else {
            return Err("scanner state lost".into());
        };
        let work = ScanWork {
            scanner,
            session,
            journal: p.journal.clone(),
            clock: self.clock.clone(),
            clean: tokio::time::Instant::now() >= self.disturbed_until,
            device_time_ms: agent::now_ms().saturating_add_signed(self.skew_ms),
            lines,
        };
        let done = tokio::task::spawn_blocking(move || work.run())
            .await
            .map_err(|e| format!("scan task failed: {e}"))?;
        p.scanner = Some(done.scanner);
        p.session = Some(done.session);
        self.count(&planned, &done.outcomes);
        Ok(())
    }

    fn count(&mut self, planned: &PlannedScan, outcomes: &[ReadOutcome]) {
        let mut recorded = 0;
        for outcome in outcomes {
            match outcome {
                ReadOutcome::Recorded { .. } => recorded += 1,
                ReadOutcome::DoubleRead => self.report.double_reads.1 += 1,
                ReadOutcome::Refused(reason) => {
                    self.report.refused += 1;
                    warn!(device = %self.spec.id, %reason, "read refused");
                }
                ReadOutcome::Context(_) => {}
            }
        }
        self.spec
            .counters
            .confirmed
            .fetch_add(recorded, Ordering::Relaxed);
        if recorded > 0 {
            self.report.scans += 1;
            self.report.leaks += recorded - 1;
            self.spec.picker.confirmed(planned);
        }
        if recorded != 1 || outcomes.len() < planned.reads.len() {
            self.spec.picker.unsure();
        }
    }

    async fn finish(mut self) -> DeviceReport {
        self.wifi_back = None;
        if self.powered.is_none() {
            if let Err(e) = self.power_on().await {
                self.report.error.get_or_insert(e);
            }
        }
        self.set_wifi(true);
        if let Some(p) = self.powered.take() {
            let last = p.journal.last_seq();
            let wait = p.handle.wait_acked(last);
            self.report.drained = tokio::time::timeout(self.spec.drain_timeout, wait)
                .await
                .unwrap_or(false);
            p.cancel.cancel();
            let _ = p.task.await;
            // The watcher ends with the publisher, after its last settle.
            let _ = p.watcher.await;
            self.report.confirmed = last;
            if let Err(e) = p.journal.flush() {
                self.report.error.get_or_insert(e.to_string());
            }
        }
        self.report.latency = self.clock.take_samples();
        self.report.expected = self.spec.picker.expected().clone();
        self.report
    }
}
