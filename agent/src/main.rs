//! The `agent` binary: a handheld's scan loop and publisher.
//!
//! `agent [run]` reads scan lines from standard input, answers each on
//! standard output with exactly one line (`ok seq=<N>` once durably
//! journaled, `error: <reason>` otherwise; blank lines and `#` comments get
//! no answer) and publishes the journal to the hub until SIGTERM/SIGINT, or
//! until the backlog is acknowledged with `--exit-when-drained`.
//! With `--scanner DEVICE` it reads barcodes from a serial barcode engine
//! instead (same answer lines; the good beep goes to the engine after the
//! journal flush) until SIGTERM/SIGINT.
//! With `--ui pick` or `--ui pack` it runs the terminal UI instead (guided
//! picking, or pack checking at a packing station) on its terminal, with
//! the journal and publisher running as for scan lines, until the quit key
//! (Ctrl-C, Ctrl-Q) or SIGTERM; its logs then go to `--log FILE`, or to
//! standard error only when that is not the terminal. With `--scanner` as
//! well, the engine's reads are scans in the UI (and it beeps the answer).
//! `agent station` runs a printer station instead (label jobs from the
//! hub printed on a raw-TCP printer; see `agent::station`).
//! `agent bench-record` measures durable-record latency against a raw
//! fdatasync. Logs go to standard error (`RUST_LOG`, default `info`); the
//! answers on standard output are the one thing printed there.

use agent::bench::bench_record;
use agent::line_input::{BoundedLines, InputLine};
use agent::logging::{init_logging, LogFormat};
use agent::scanline::MAX_SCAN_LINE;
use agent::scanner::{run_serial_scanner, DoubleReadFilter, ScannerSession, SerialSettings};
use agent::ui::run::serial_input;
use agent::ui::{run_ui, UiMode};
use agent::{now_ms, run_publisher, AgentConfig, ConfigOverrides, Journal, ScanSession};
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

mod station_cli;

/// Handheld agent: journals scans durably, publishes them to the hub.
#[derive(Debug, Parser)]
#[command(name = "agent", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read scan lines from stdin, journal them, publish to the hub (default).
    Run(RunArgs),
    /// Measure Journal::record latency against raw write + fdatasync.
    BenchRecord(BenchArgs),
    /// Run as a printer station: print the hub's label jobs on a printer.
    Station(station_cli::StationArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// TOML config file (keys: hub, site, device, data_dir, credentials,
    /// batch_max, resend_after_ms, heartbeat_ms, signal_file, max_batches_in_flight,
    /// scanner, scanner_baud, double_read_ms, scan_mode).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Hub MQTT address, host:port [default: 127.0.0.1:1883].
    #[arg(long, value_name = "HOST:PORT")]
    hub: Option<String>,
    /// Site id [default: site-1].
    #[arg(long)]
    site: Option<String>,
    /// Device id (required, here or in the config file).
    #[arg(long)]
    device: Option<String>,
    /// Journal directory [default: ./agent-data/{device}].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// This device's credentials: the JSON file `hub device add DEVICE
    /// --site SITE --out FILE` wrote (broker password and batch key; required).
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// On end of input, exit 0 once every scan is acknowledged by the hub.
    #[arg(long)]
    exit_when_drained: bool,
    /// Read barcodes from this serial device (a barcode engine, or the
    /// pseudo-terminal of `firmware-sim scanner`) instead of standard input.
    #[arg(long, value_name = "DEVICE")]
    scanner: Option<PathBuf>,
    /// The same code read again within this many ms is one scan [default: 300; 0: off].
    #[arg(long, value_name = "MS")]
    double_read_ms: Option<u64>,
    /// The movement kind scanner reads record until a MODE: card is read [default: pick].
    #[arg(long, value_name = "KIND")]
    scan_mode: Option<String>,
    /// Run the terminal UI: `pick` (guided picking through the work
    /// queue) or `pack` (pack checking), instead of reading scan lines.
    #[arg(long, value_name = "MODE", value_parser = parse_ui_mode, conflicts_with = "exit_when_drained")]
    ui: Option<UiMode>,
    /// Append logs to this file instead of standard error.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// How log lines are written: text for people (coloured only on a
    /// terminal) or json for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

fn parse_ui_mode(word: &str) -> Result<UiMode, String> {
    UiMode::parse(word).ok_or_else(|| format!("unknown UI mode {word:?} (expected pick or pack)"))
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Directory to measure in (a journal and a raw file are put there).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Scans to record (and raw appends to make).
    #[arg(long, default_value_t = 2000)]
    count: usize,
    /// Size of each stored entry in bytes.
    #[arg(long, default_value_t = 64)]
    size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::BenchRecord(args)) => {
            init_logging(None, false, LogFormat::Text).and_then(|()| bench(&args))
        }
        Some(Command::Run(args)) => run(args),
        Some(Command::Station(args)) => station_cli::station(args),
        None => run(cli.run),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("agent: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &BenchArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let report = bench_record(&args.dir, args.count, args.size)?;
    println!("{report}");
    // A missed target is a failed benchmark, for scripts as for people.
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run(args: RunArgs) -> Result<ExitCode> {
    init_logging(args.log.as_deref(), args.ui.is_some(), args.log_format)?;
    let overrides = ConfigOverrides {
        hub: args.hub,
        site: args.site,
        device: args.device,
        data_dir: args.data,
        credentials: args.credentials,
    };
    let mut config = AgentConfig::load(args.config.as_deref(), overrides)?;
    if let Some(path) = args.scanner {
        config.scanner = Some(path);
    }
    if let Some(ms) = args.double_read_ms {
        config.double_read_ms = ms;
    }
    if let Some(word) = args.scan_mode.as_deref() {
        config.scan_mode = agent::config::parse_mode(Some(word))?;
    }
    // Missing or bad credentials stop the agent here, before anything runs.
    let publisher = config.publisher_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let how = Serve {
        exit_when_drained: args.exit_when_drained,
        ui: args.ui,
    };
    let outcome = runtime.block_on(serve(config, publisher, how));
    runtime.shutdown_timeout(Duration::from_millis(200));
    outcome
}

/// How the agent takes its input, besides the config.
struct Serve {
    exit_when_drained: bool,
    ui: Option<UiMode>,
}

async fn serve(
    config: AgentConfig,
    publisher: agent::PublisherConfig,
    how: Serve,
) -> Result<ExitCode> {
    let exit_when_drained = how.exit_when_drained;
    let journal = Journal::open(&config.data_dir)
        .with_context(|| format!("cannot open the journal in {}", config.data_dir.display()))?;
    info!(
        site = %config.site,
        device = %config.device,
        hub = %config.hub,
        last_seq = journal.last_seq(),
        backlog = journal.backlog(),
        "agent starting"
    );
    let cancel = CancellationToken::new();
    tokio::spawn(cancel_on_signal(cancel.clone()));
    let (handle, publisher) = run_publisher(journal.clone(), publisher, cancel.clone())?;
    let publisher = tokio::spawn(publisher);
    let answered = take_input(&how, &config, &journal, &handle, &cancel).await;
    let mut refused = None;
    if answered.is_ok() && !cancel.is_cancelled() {
        if exit_when_drained {
            info!(
                backlog = journal.backlog(),
                "end of input; exiting once drained"
            );
            let mut link = handle.link_state();
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = handle.wait_acked(journal.last_seq()) => info!("backlog drained"),
                // Waiting for acks that cannot come would be a hang.
                _ = link.wait_for(|s| *s == agent::LinkState::LoginRefused) => {
                    refused = Some(journal.backlog());
                }
            }
        } else {
            info!("end of input; publishing until SIGTERM/SIGINT");
            cancel.cancelled().await;
        }
    }
    cancel.cancel();
    if let Err(e) = publisher.await {
        warn!(error = %e, "publisher task failed");
    }
    journal.flush().context("final journal flush")?;
    answered?;
    if let Some(backlog) = refused {
        anyhow::bail!(
            "the hub refused this device's login (revoked, rotated or wrong credentials); \
             {backlog} movement(s) stay in the journal for when it has valid credentials"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the input the agent was started with (the terminal UI, the serial
/// scanner or scan lines on stdin) until it ends or `cancel`.
async fn take_input(
    how: &Serve,
    config: &AgentConfig,
    journal: &Journal,
    handle: &agent::PublisherHandle,
    cancel: &CancellationToken,
) -> Result<()> {
    match (how.ui, &config.scanner) {
        (Some(mode), _) => {
            let serial = serial_input(config);
            run_ui(
                mode,
                journal.clone(),
                handle.clone(),
                serial,
                cancel.clone(),
            )
            .await
        }
        (None, Some(path)) => answer_scanner(config, path, journal, handle, cancel).await,
        (None, None) => {
            let session = ScanSession::new(journal.clone(), handle.journaled());
            answer_stdin(session, cancel).await
        }
    }
}

/// Answers every stdin line on stdout until end of input or cancellation.
async fn answer_stdin(session: ScanSession, cancel: &CancellationToken) -> Result<()> {
    let mut lines = spawn_stdin_reader()?;
    let mut stdout = tokio::io::stdout();
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            next = lines.recv() => next,
        };
        let line = match next {
            None => return Ok(()),
            Some(line) => line.context("reading standard input")?,
        };
        let session = session.clone();
        let answer = tokio::task::spawn_blocking(move || session.answer(&line, now_ms()))
            .await
            .context("scan task failed")?;
        if let Some(answer) = answer {
            stdout.write_all(format!("{answer}\n").as_bytes()).await?;
            stdout.flush().await.context("writing to standard output")?;
        }
    }
}

/// Serves the serial scanner on a plain thread until cancellation, writing
/// each answer line to stdout as the stdin path does.
async fn answer_scanner(
    config: &AgentConfig,
    path: &std::path::Path,
    journal: &Journal,
    handle: &agent::PublisherHandle,
    cancel: &CancellationToken,
) -> Result<()> {
    let settings = SerialSettings {
        path: path.to_path_buf(),
        baud: config.scanner_baud,
    };
    let filter = DoubleReadFilter::new(Duration::from_millis(config.double_read_ms));
    let mut session = ScannerSession::new(
        journal.clone(),
        handle.journaled(),
        config.scan_mode,
        filter,
    );
    let runtime = tokio::runtime::Handle::current();
    let thread_cancel = cancel.clone();
    let (tx, mut answers) = mpsc::unbounded_channel::<String>();
    let thread = std::thread::Builder::new()
        .name("scanner".into())
        .spawn(move || {
            let mut answer = |a: &agent::ScanAnswer| drop(tx.send(format!("{a}\n")));
            run_serial_scanner(
                &settings,
                &mut session,
                &runtime,
                &thread_cancel,
                &mut answer,
            );
        })
        .context("cannot start the scanner thread")?;
    let mut stdout = tokio::io::stdout();
    while let Some(line) = answers.recv().await {
        stdout.write_all(line.as_bytes()).await?;
        stdout.flush().await.context("writing to standard output")?;
    }
    // The channel closes when the thread ends, i.e. after cancellation.
    thread
        .join()
        .map_err(|_| anyhow::anyhow!("scanner thread panicked"))?;
    Ok(())
}

/// Reads stdin on a plain thread: a blocked read can then never hold up
/// shutdown (the thread simply ends with the process).
fn spawn_stdin_reader() -> Result<mpsc::Receiver<std::io::Result<InputLine>>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            for line in BoundedLines::new(stdin.lock(), MAX_SCAN_LINE) {
                let failed = line.is_err();
                if tx.blocking_send(line).is_err() || failed {
                    break;
                }
            }
        })
        .context("cannot start the stdin reader")?;
    Ok(rx)
}

async fn cancel_on_signal(cancel: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the agent");
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::signal::ctrl_c() => cancel.cancel(),
            }
            return;
        }
    };
    tokio::select! {
        _ = cancel.cancelled() => return,
        _ = term.recv() => info!("SIGTERM received; shutting down"),
        _ = tokio::signal::ctrl_c() => info!("SIGINT received; shutting down"),
    }
    cancel.cancel();
}
