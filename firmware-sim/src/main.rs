//! The `firmware-sim` binary: `scanner` plays a barcode engine on a
//! pseudo-terminal for `agent --scanner`; `fleet` runs simulated handhelds
//! against a hub and exits non-zero if any confirmed scan was lost or
//! applied twice; `printer` runs a fake Zebra label printer. Logs go to standard error (`RUST_LOG`, default `error`:
//! the faults the fleet injects make the agents warn by design);
//! the engine's events and the fleet's report go to standard output.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use firmware_sim::engine::parse_script;
use firmware_sim::fleet::faults::FaultRates;
use firmware_sim::fleet::hub_api::HttpToken;
use firmware_sim::fleet::{run_fleet, FleetConfig};
use firmware_sim::scanner::{run_engine, EngineConfig, DEMO_SCRIPT};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Simulated handheld hardware: a barcode engine on a pty, and a fleet.
#[derive(Debug, Parser)]
#[command(name = "firmware-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to standard error: text for people
    /// (coloured only on a terminal) or json for log shippers.
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// The shape of log lines (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One line of text an event.
    Text,
    /// One JSON object an event.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Play a barcode engine on a pseudo-terminal (one read per trigger pull).
    Scanner(ScannerArgs),
    /// Run simulated handhelds against a hub, with seeded faults.
    Fleet(FleetArgs),
    /// Run a fake Zebra label printer (ZPL on raw TCP, `~HS` status).
    Printer(PrinterArgs),
}

#[derive(Debug, Args)]
struct PrinterArgs {
    /// Address to listen on (port 0: any; the first output line is
    /// `listening on ADDR`). Control lines on stdin: ok, paper-out,
    /// ribbon-out, head-open, pause, silent. Stops on SIGTERM/SIGINT.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// Append one JSON line per printed label to this file.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Go paper-out after this many printed labels.
    #[arg(long, value_name = "N")]
    paper_out_after: Option<u64>,
    /// Open the print head as the Nth format arrives (it is held in the
    /// buffer, not printed: a job the station must cancel with `~JA`).
    #[arg(long, value_name = "N")]
    head_open_on: Option<u64>,
}

#[derive(Debug, Args)]
struct ScannerArgs {
    /// Symlink to create, pointing at the pty the agent opens (`agent --scanner PATH`).
    #[arg(long, value_name = "PATH")]
    link: PathBuf,
    /// Script: one read per line, `<GS>` for FNC1, `@double READ`,
    /// `@noise BYTES`, `@disconnect`, `#` comments [default: a short demo shift].
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Seed of the line noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
struct FleetArgs {
    /// The hub's MQTT address.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1883")]
    hub: String,
    /// The hub's HTTP address (for the verdict).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    http: String,
    /// Site id.
    #[arg(long, default_value = "site-1")]
    site: String,
    /// Simulated handhelds.
    #[arg(long, default_value_t = 10)]
    devices: usize,
    /// Scans per second per device.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds of scanning.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seed of every random choice (faults, labels).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fault rates as a multiple of the default mix (0.5 Wi-Fi drops, 0.15
    /// power losses, 0.3 clock jumps per device-minute, 5 % double reads,
    /// draining batteries); 0 turns faults off.
    #[arg(long, default_value_t = 1.0)]
    faults: f64,
    /// Journal directory [default: a fresh temporary directory].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Tag in device ids and locations [default: from the clock].
    #[arg(long)]
    tag: Option<String>,
    /// The same code read again within this many ms is one scan.
    #[arg(long, default_value_t = 300)]
    double_read_ms: u64,
    /// Seconds to wait for every backlog after the run.
    #[arg(long, default_value_t = 60.0)]
    drain_timeout: f64,
    /// Products in the catalogue (1 to 1000): the hub ends with at most
    /// devices x products x 18 stock rows.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=1000))]
    products: u32,
    /// The devices' credentials: the JSON file `hub device add
    /// fs{TAG}-0000 fs{TAG}-0001 ... --site SITE --out FILE` wrote (required).
    #[arg(long, value_name = "FILE")]
    credentials: PathBuf,
    /// A file holding an HTTP API token of the hub (a viewer token is
    /// enough; `hub token create --role viewer --name fleet > FILE`, or the
    /// hub's DATA/operator-token). A file, not a flag, so the token stays
    /// out of the process list (required).
    #[arg(long, value_name = "FILE")]
    http_token_file: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => {
            use std::io::IsTerminal;
            builder.with_ansi(std::io::stderr().is_terminal()).init()
        }
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    let outcome = match cli.command {
        Command::Scanner(args) => scanner(&args),
        Command::Fleet(args) => fleet(args),
        Command::Printer(args) => printer(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firmware-sim: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The token in `path` (surrounding whitespace dropped); read before the
/// run, so a missing file fails at once, not after the scanning.
fn read_token(path: &std::path::Path) -> Result<HttpToken> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the HTTP token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        bail!(
            "the HTTP token file {} does not hold one token",
            path.display()
        );
    }
    Ok(HttpToken::new(token))
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn scanner(args: &ScannerArgs) -> Result<ExitCode> {
    let text = match &args.script {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read script {}", path.display()))?,
        None => DEMO_SCRIPT.to_string(),
    };
    let steps = parse_script(&text)?;
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
    }
    let config = EngineConfig {
        link: args.link.clone(),
        steps,
        seed: args.seed,
    };
    let mut stdout = std::io::stdout();
    run_engine(&config, &mut stdout, &STOP).context("barcode engine failed")?;
    Ok(ExitCode::SUCCESS)
}

fn printer(args: PrinterArgs) -> Result<ExitCode> {
    use firmware_sim::printer::{run_printer, wait_for_stop_signal, FakePrinterConfig};
    let config = FakePrinterConfig {
        listen: args.listen,
        paper_out_after: args.paper_out_after,
        head_open_on: args.head_open_on,
        record: args.record,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let cancel = tokio_util::sync::CancellationToken::new();
    let outcome = runtime.block_on(async {
        let stop = cancel.clone();
        tokio::spawn(async move {
            if let Err(e) = wait_for_stop_signal().await {
                tracing::error!(error = %e, "cannot watch for stop signals; stopping");
            }
            stop.cancel();
        });
        let control = tokio::io::BufReader::new(tokio::io::stdin());
        run_printer(config, control, tokio::io::stdout(), cancel).await
    });
    // A read of stdin may still block a worker: do not wait for it.
    runtime.shutdown_background();
    outcome?;
    Ok(ExitCode::SUCCESS)
}

/// Every device's secrets, so a missing entry stops the run before it starts.
fn fleet_secrets(
    path: &std::path::Path,
    site: &str,
    tag: &str,
    devices: usize,
) -> Result<Vec<agent::DeviceSecrets>> {
    let file = agent::credentials::read_file(path)?;
    (0..devices)
        .map(|i| {
            let id = firmware_sim::fleet::device_id(tag, i);
            Ok(agent::credentials::secrets_for(&file, path, site, &id)?)
        })
        .collect()
}

fn resolve(addr: &str) -> Result<SocketAddr> {
    addr.to_socket_addrs()
        .with_context(|| format!("bad address {addr:?}"))?
        .next()
        .with_context(|| format!("{addr:?} resolves to nothing"))
}

fn fleet(args: FleetArgs) -> Result<ExitCode> {
    if !(args.duration > 0.0 && args.duration <= 86_400.0) {
        bail!("--duration must be above 0 and at most 86400 seconds");
    }
    let tmp;
    let data = match args.data {
        Some(dir) => dir,
        None => {
            tmp = tempfile_dir()?;
            tmp.clone()
        }
    };
    let tag = args
        .tag
        .unwrap_or_else(|| format!("{:x}", agent::now_ms() % 0xff_ffff));
    let secrets = fleet_secrets(&args.credentials, &args.site, &tag, args.devices)?;
    let http_token = read_token(&args.http_token_file)?;
    let config = FleetConfig {
        hub: resolve(&args.hub)?,
        http: resolve(&args.http)?,
        http_token,
        site: args.site,
        devices: args.devices,
        rate: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        seed: args.seed,
        faults: FaultRates::scaled(args.faults),
        data: data.clone(),
        tag,
        double_read_window: Duration::from_millis(args.double_read_ms),
        drain_timeout: Duration::from_secs_f64(args.drain_timeout.clamp(1.0, 3600.0)),
        products: args.products,
        secrets,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(run_fleet(&config))?;
    runtime.shutdown_timeout(Duration::from_secs(2));
    println!("{report}");
    if args_data_is_temp(&data) {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

const TEMP_PREFIX: &str = "firmware-sim-fleet-";

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "{TEMP_PREFIX}{}-{}",
        std::process::id(),
        agent::now_ms()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn args_data_is_temp(dir: &std::path::Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(TEMP_PREFIX))
}
