//! Scan-to-ack latency: from `Journal::record` (durable on the device) to
//! the hub's ack for that seq arriving back on the device, with N simulated
//! devices (the agent library: own sled journal and MQTT connection each)
//! each scanning once per second, phases spread evenly over the second.
//! The hub runs in this process on its embedded broker (a `hub
//! broker-child` process) or on a real Mosquitto (`--broker`); the targets
//! are judged on the embedded broker only, Mosquitto's figures are printed
//! beside them.

use crate::hubctl::{self, Broker};
use crate::stats::{ms, verdict, Distribution};
use agent::{run_publisher, Journal, MovementDraft, PublisherConfig, PublisherHandle};
use protocol::MovementKind;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

async fn record(journal: &Journal, n: u64) -> anyhow::Result<u64> {
    let journal = journal.clone();
    let draft = MovementDraft::new(MovementKind::Pick, &format!("SKU-{}", n % 100), "A-01", 1);
    Ok(tokio::task::spawn_blocking(move || journal.record(draft)).await??)
}

/// One device: a warm-up scan (not measured), then one scan a second.
async fn device(
    journal: Journal,
    handle: PublisherHandle,
    phase: Duration,
    period: Duration,
    start: Instant,
    seconds: u64,
) -> anyhow::Result<Vec<(Duration, Duration)>> {
    let seq = record(&journal, 0).await?;
    handle.notify_journaled();
    if !handle.wait_acked(seq).await {
        anyhow::bail!("publisher ended during warm-up");
    }
    let mut samples = Vec::with_capacity(seconds as usize);
    for s in 0..seconds {
        let at = start + period * (s as u32 + 1) + phase;
        tokio::time::sleep_until(at.into()).await;
        let t0 = Instant::now();
        let seq = record(&journal, s).await?;
        let durable = t0.elapsed();
        handle.notify_journaled();
        // A benchmark that hangs measures nothing: a scan not acked within
        // a minute ends the run with an error (and a non-zero exit).
        match tokio::time::timeout(ACK_DEADLINE, handle.wait_acked(seq)).await {
            Ok(true) => {}
            Ok(false) => anyhow::bail!("publisher ended"),
            Err(_) => anyhow::bail!("seq {seq} not acked within {ACK_DEADLINE:?}"),
        }
        samples.push((durable, t0.elapsed()));
    }
    Ok(samples)
}

/// How long one scan may wait for its ack before the run fails.
const ACK_DEADLINE: Duration = Duration::from_secs(60);

/// Which brokers `bench latency` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Brokers {
    /// The hub's embedded broker (judged against the targets).
    Embedded,
    /// Debian's Mosquitto (figures only, no target).
    Mosquitto,
    /// Embedded, then Mosquitto, and the two side by side.
    Both,
}

impl Brokers {
    fn list(self) -> &'static [Broker] {
        match self {
            Brokers::Embedded => &[Broker::Embedded],
            Brokers::Mosquitto => &[Broker::Mosquitto],
            Brokers::Both => &[Broker::Embedded, Broker::Mosquitto],
        }
    }
}

/// Runs `devices` devices for `seconds` s; prints p50/p99 against the 10 ms target.
pub async fn run(devices: usize, seconds: u64) -> anyhow::Result<bool> {
    run_with_period(devices, seconds, Duration::from_secs(1)).await
}

/// Like [`run`], each device scanning once per `period`; `seconds` is then
/// the number of scans per device.
pub async fn run_with_period(
    devices: usize,
    seconds: u64,
    period: Duration,
) -> anyhow::Result<bool> {
    run_on(devices, seconds, period, Brokers::Embedded).await
}

/// [`run_with_period`] on each broker of `brokers`, one after the other,
/// then (with more than one) their figures side by side. The verdict is the
/// embedded broker's (true when it was not run).
pub async fn run_on(
    devices: usize,
    seconds: u64,
    period: Duration,
    brokers: Brokers,
) -> anyhow::Result<bool> {
    let mut ok = true;
    let mut runs = Vec::new();
    for &broker in brokers.list() {
        let figures = measure(devices, seconds, period, broker).await?;
        ok &= figures.print();
        runs.push(figures);
    }
    if runs.len() > 1 {
        print_side_by_side(&runs);
    }
    Ok(ok)
}

/// One run's samples and what the hub says about it.
struct Figures {
    broker: Broker,
    devices: usize,
    seconds: u64,
    period: Duration,
    hub_summary: String,
    /// `Journal::record` (the device's flush).
    durable: Distribution,
    /// Publish -> hub commit -> ack back on the device: the hub's share.
    after: Distribution,
    /// End to end.
    total: Distribution,
}

/// Starts a hub on `broker`, runs the devices, stops the hub.
async fn measure(
    devices: usize,
    seconds: u64,
    period: Duration,
    broker: Broker,
) -> anyhow::Result<Figures> {
    let hub_dir = tempfile::tempdir()?;
    let dev_dir = tempfile::tempdir()?;
    let broker_dir = tempfile::tempdir()?;
    let ids: Vec<String> = (0..devices).map(|d| format!("lat-{d}")).collect();
    let creds = hubctl::provision(hub_dir.path(), &ids)?;
    // Kept until the hub has stopped (dropping it kills the broker).
    let mut mosquitto = None;
    let (hub, port) = match broker {
        Broker::Embedded => hubctl::start(hub_dir.path()).await?,
        Broker::Mosquitto => {
            // Mosquitto inherits this limit: a connection per device.
            let want = devices as u64 + 2048;
            let limit = tests::procs::raise_fd_limit(want);
            anyhow::ensure!(
                limit >= devices as u64 + 1024,
                "open-file limit {limit} is too low for {devices} devices on Mosquitto"
            );
            let m = hubctl::start_mosquitto(broker_dir.path(), hub_dir.path(), "bench");
            let started = hubctl::start_on_mosquitto(hub_dir.path(), &m).await?;
            mosquitto = Some(m);
            started
        }
    };
    let cancel = CancellationToken::new();
    let start = Instant::now() + Duration::from_secs(3);
    let mut tasks = Vec::new();
    // Past 1,000 devices one process runs out of file descriptors with a
    // sled directory each; they then share one database, a tree each.
    let shared = if devices > 1000 {
        let path = dev_dir.path().join("shared");
        Some(sled::Config::new().path(path).flush_every_ms(None).open()?)
    } else {
        None
    };
    for d in 0..devices {
        let id = format!("lat-{d}");
        let journal = match &shared {
            Some(db) => Journal::open_in(db, &id)?,
            None => Journal::open(&dev_dir.path().join(&id))?,
        };
        let secrets = hubctl::secrets(&creds, &id)?;
        let config = PublisherConfig::new("127.0.0.1", port, "bench", &id, secrets);
        let (handle, task) = run_publisher(journal.clone(), config, cancel.child_token())?;
        tokio::spawn(task);
        let phase = period * d as u32 / devices as u32;
        tasks.push(tokio::spawn(device(
            journal, handle, phase, period, start, seconds,
        )));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await??);
    }
    cancel.cancel();
    let m = &hub.metrics;
    let hub_summary = format!(
        "{} movements applied in {} group commits",
        m.movements_applied
            .load(std::sync::atomic::Ordering::Relaxed),
        m.commits.load(std::sync::atomic::Ordering::Relaxed)
    );
    hubctl::stop(hub).await?;
    drop(mosquitto);
    let durable = Distribution::new(samples.iter().map(|s| s.0).collect());
    let after = Distribution::new(samples.iter().map(|s| s.1 - s.0).collect());
    let total = Distribution::new(samples.into_iter().map(|s| s.1).collect());
    Ok(Figures {
        broker,
        devices,
        seconds,
        period,
        hub_summary,
        durable,
        after,
        total,
    })
}

impl Figures {
    /// Issue 13: the hub's share (publish -> commit -> ack) p99 under 5 ms
    /// at up to 1,000 devices and under 20 ms beyond.
    fn share_target(&self) -> f64 {
        if self.devices > 1000 {
            20.0
        } else {
            5.0
        }
    }

    /// Prints the run; returns whether it met the targets (always true on
    /// Mosquitto, which has none: its figures are only reported).
    fn print(&self) -> bool {
        let (devices, seconds, period) = (self.devices, self.seconds, self.period);
        let p99 = self.total.pct(99.0);
        // End to end under 10 ms.
        let share_target = self.share_target();
        let share_p99 = ms(self.after.pct(99.0));
        let share_ok = share_p99 < share_target;
        let ok = p99 < Duration::from_millis(10) && share_ok;
        let judged = self.broker == Broker::Embedded;
        let judge = |ok: bool| {
            if judged {
                verdict(ok).to_string()
            } else {
                format!("{} (reported only, no target on Mosquitto)", verdict(ok))
            }
        };
        let layout = if devices > 1000 {
            "one shared sled db"
        } else {
            "a sled dir each"
        };
        println!(
            "broker: {}; journals: {layout}; hub: {}",
            self.broker.name(),
            self.hub_summary
        );
        println!(
            "scan-to-ack latency, {devices} devices x 1 scan per {period:?} x {seconds}: {}",
            self.total.summary()
        );
        println!(
            "  of which record (device flush): {}",
            self.durable.summary()
        );
        println!(
            "  of which publish -> hub commit -> ack: {}",
            self.after.summary()
        );
        println!(
            "  hub share p99 / {share_target} ms target = {:.2} (target < 1.00): {}",
            share_p99 / share_target,
            judge(share_ok)
        );
        println!(
            "  end-to-end p99 / 10 ms target = {:.2} (target < 1.00): {}",
            ms(p99) / 10.0,
            judge(p99 < Duration::from_millis(10))
        );
        !judged || ok
    }
}

/// The runs' p50/p99 in one table, a row per broker.
fn print_side_by_side(runs: &[Figures]) {
    let Some(first) = runs.first() else {
        return;
    };
    println!(
        "\nscan-to-ack latency by broker, {} devices x 1 scan per {:?} x {} (ms)",
        first.devices, first.period, first.seconds
    );
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "broker", "hub p50", "hub p99", "e2e p50", "e2e p99", "e2e max", "rec p99", "scans"
    );
    for r in runs {
        println!(
            "{:<10} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9}",
            r.broker.name(),
            ms(r.after.pct(50.0)),
            ms(r.after.pct(99.0)),
            ms(r.total.pct(50.0)),
            ms(r.total.pct(99.0)),
            ms(r.total.pct(100.0)),
            ms(r.durable.pct(99.0)),
            r.total.len()
        );
    }
    println!("(hub = publish -> hub commit -> ack; e2e = record -> ack; rec = device flush)");
}
