//! `soak run`: the hub, the fleet and the hostile process, the sampler
//! that watches the hub, and the verdict.

use crate::procinfo::{self, Sample};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tests::firmware::Lines;
use tests::procs::raise_fd_limit;
use tests::{bin_path, http, Credentials, HubPorts, HubProc};

const SITE: &str = "s1";
/// The fleet's run tag: its devices are `fsSOAK-0000` ...
const TAG: &str = "SOAK";

/// How long, with how many devices, and how hostile.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Simulated handhelds.
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    /// Seconds of scanning.
    #[arg(long, default_value_t = 1800)]
    pub seconds: u64,
    /// Scans per second per device.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Fault rates as a multiple of firmware-sim's default mix.
    #[arg(long, default_value_t = 1.0)]
    pub faults: f64,
    /// Seed of the fleet.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds between samples of the hub.
    #[arg(long, default_value_t = 5)]
    pub sample_secs: u64,
    /// How often the hostile process strikes.
    #[command(flatten)]
    pub cadence: crate::hostile_loop::Cadence,
    /// Seconds the fleet may take to drain its backlogs after scanning.
    #[arg(long, default_value_t = 120)]
    pub drain_timeout: u64,
    /// Products in the fleet's catalogue. Few, so that the hub's stock
    /// (devices x products x 18 rows at most: 72,000 at 1,000 devices) is
    /// all there within minutes, and memory that still grows after that
    /// is not stock the warehouse holds.
    #[arg(long, default_value_t = 4)]
    pub products: u32,
    /// Work directory, kept afterwards [default: a temporary one].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Write every sample here as CSV.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// A config file for the hub (`hub --config`), e.g. another event log
    /// archive policy; unset, the hub's defaults.
    #[arg(long)]
    pub hub_config: Option<PathBuf>,
    /// The hub's end VmRSS may be at most its baseline, plus twice its
    /// store cache (`store_cache_mb`: sled counts less than it holds),
    /// plus this (the pool's state and answers in flight).
    #[arg(long, default_value_t = 50)]
    pub rss_slack_mib: u64,
    /// The hub's end descriptor count may exceed its baseline by this.
    #[arg(long, default_value_t = 200)]
    pub fd_slack: usize,
}

/// Provisions the fleet and the two hostile devices while the hub runs.
fn provision(hub: &HubProc, devices: usize) -> Credentials {
    let mut ids: Vec<String> = (0..devices).map(|i| format!("fs{TAG}-{i:04}")).collect();
    ids.extend(["flaky".to_string(), "rogue".to_string()]);
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let creds = tests::provision(&hub.data, SITE, &refs);
    // One `device add` reloads them all at once: the first and last do.
    hub.wait_devices_loaded(&creds, &[refs[0], "rogue"]);
    creds
}

fn spawn_hostile(
    hub: &HubProc,
    creds: &Credentials,
    args: &RunArgs,
    warm_up: Duration,
) -> anyhow::Result<Child> {
    let token = hub.data.join(hub::tokens::OPERATOR_TOKEN_FILE);
    Ok(Command::new(std::env::current_exe()?)
        .arg("hostile")
        .args(["--mqtt", &hub.ports.mqtt.to_string()])
        .args(["--http", &hub.ports.http_addr().to_string()])
        .arg("--credentials")
        .arg(&creds.path)
        .arg("--token-file")
        .arg(token)
        .args(["--seconds", &(args.seconds + warm_up.as_secs()).to_string()])
        .args(args.cadence.flags())
        .stdout(Stdio::piped())
        .spawn()?)
}

fn spawn_fleet(
    hub: &HubProc,
    creds: &Credentials,
    work: &Path,
    args: &RunArgs,
) -> anyhow::Result<Child> {
    let token = work.join("viewer-token");
    std::fs::write(&token, hub.create_token("viewer", "soak"))?;
    let stderr = std::fs::File::create(work.join("fleet.stderr"))?;
    Ok(Command::new(bin_path("firmware-sim"))
        .args(["fleet", "--site", SITE, "--tag", TAG])
        .args(["--hub", &hub.ports.mqtt_addr()])
        .args(["--http", &hub.ports.http_addr().to_string()])
        .arg("--credentials")
        .arg(&creds.path)
        .arg("--http-token-file")
        .arg(&token)
        .arg("--data")
        .arg(work.join("fleet"))
        .args(["--devices", &args.devices.to_string()])
        .args(["--rate", &args.rate.to_string()])
        .args(["--duration", &args.seconds.to_string()])
        .args(["--faults", &args.faults.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--drain-timeout", &args.drain_timeout.to_string()])
        .args(["--products", &args.products.to_string()])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?)
}

/// Samples the hub every `every` on a thread until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Sample>>,
}

impl Sampler {
    fn start(hub: &HubProc, started: Instant, every: Duration) -> Sampler {
        let (pid, addr, data) = (hub.pid(), hub.ports.http_addr(), hub.data.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let s = procinfo::take(pid, addr, &data, started);
                if samples.len() % 12 == 0 {
                    eprintln!(
                        "soak: t={:.0}s hub {:.1} MiB {} fds, broker {:.1} MiB {} fds, restarts {:?}, data {:.0} MiB",
                        s.at.as_secs_f64(),
                        s.hub_rss_kib as f64 / 1024.0,
                        s.hub_fds,
                        s.broker_rss_kib as f64 / 1024.0,
                        s.broker_fds,
                        s.restarts,
                        s.data_kib as f64 / 1024.0
                    );
                }
                samples.push(s);
                let next = Instant::now() + every;
                while !flag.load(Ordering::Relaxed) && Instant::now() < next {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            samples
        });
        Sampler { stop, thread }
    }

    fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Runs the soak; exits non-zero on any failure.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let fd_limit = raise_fd_limit(65_536);
    let temp = tempfile::tempdir()?;
    let work = args
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&work)?;
    println!(
        "soak: {} devices x {} scans/s for {} s, faults x{}, seed {}; open-file limit {fd_limit}",
        args.devices, args.rate, args.seconds, args.faults, args.seed
    );
    let started = Instant::now();
    let config = args.hub_config.as_ref().map(|c| c.display().to_string());
    let extra: Vec<&str> = match &config {
        Some(c) => vec!["--config", c],
        None => Vec::new(),
    };
    let mut hub = HubProc::start_with(&work.join("hub"), HubPorts::fresh(), SITE, &extra);
    let creds = provision(&hub, args.devices);
    let sampler = Sampler::start(&hub, started, Duration::from_secs(args.sample_secs.max(1)));
    // firmware-sim's own warm-up before the first scan (3 ms a device).
    let warm_up = Duration::from_millis(1000 + 3 * args.devices as u64);
    let settle = Duration::from_secs((args.seconds / 8).min(30));
    let baseline_at = started.elapsed() + warm_up + settle;
    let mut fleet = spawn_fleet(&hub, &creds, &work, &args)?;
    let fleet_out = Lines::follow(&mut fleet);
    let mut hostile = spawn_hostile(&hub, &creds, &args, warm_up)?;
    let hostile_out = Lines::follow(&mut hostile);
    let fleet_status = fleet.wait()?;
    let hostile_status = hostile.wait()?;
    let mut samples = sampler.stop();
    samples.push(procinfo::take(
        hub.pid(),
        hub.ports.http_addr(),
        &hub.data,
        started,
    ));
    let ending = crate::verdict::Ending {
        fleet_ok: fleet_status.success(),
        fleet_out: fleet_out.all(),
        hostile_ok: hostile_status.success(),
        hostile_out: hostile_out.all(),
        hub_running: hub.is_running(),
        healthz: http::get(hub.ports.http_addr(), "/healthz")
            .map(|r| r.status)
            .ok(),
        peak_kib: tests::procs::resident_kib(hub.pid()).map_or(0, |(_, hwm)| hwm),
        baseline_at,
    };
    if !ending.fleet_ok {
        let log = std::fs::read_to_string(work.join("fleet.stderr")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!(
            "soak: fleet stderr (last lines):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    if let Some(path) = &args.csv {
        procinfo::write_csv(path, &samples)?;
    }
    let passed = crate::verdict::report(&args, &samples, &ending);
    let _ = hub.terminate();
    Ok(match passed {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}
