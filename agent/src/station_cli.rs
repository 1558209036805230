//! `agent station`: the printer station mode of the agent binary (see
//! `agent::station`). Its event lines go to standard output, logs to
//! standard error; it runs until SIGTERM or SIGINT.

use agent::station::{run_station, StationConfig};
use anyhow::{Context, Result};
use clap::Args;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `agent station` arguments.
#[derive(Debug, Args)]
pub struct StationArgs {
    /// Hub MQTT address, host:port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1883")]
    hub: String,
    /// Site id.
    #[arg(long, default_value = "site-1")]
    site: String,
    /// This station's id (provisioned with `hub device add ID --kind printer-station`).
    #[arg(long)]
    station: String,
    /// The station's credentials file (`hub device add --out FILE`).
    #[arg(long, value_name = "FILE")]
    credentials: PathBuf,
    /// The job queue's directory [default: ./station-data/{station}].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The printer, raw TCP (a Zebra listens on port 9100).
    #[arg(long, value_name = "HOST:PORT")]
    printer: String,
    /// Bounds each connect and exchange with the printer, in ms.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    printer_timeout_ms: u64,
}

fn resolve(what: &str, address: &str) -> Result<SocketAddr> {
    address
        .to_socket_addrs()
        .with_context(|| format!("bad {what} address {address:?}"))?
        .next()
        .with_context(|| format!("{what} address {address:?} resolves to nothing"))
}

/// Runs the station until a signal; non-zero if it stopped on an error.
pub fn station(args: StationArgs) -> Result<ExitCode> {
    agent::logging::init_logging(None, false, agent::logging::LogFormat::Text)?;
    let (host, port) = args
        .hub
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .with_context(|| format!("bad hub address {:?} (host:port)", args.hub))?;
    let secrets = agent::load_secrets(&args.credentials, &args.site, &args.station)?;
    let data_dir = args
        .data
        .unwrap_or_else(|| PathBuf::from("station-data").join(&args.station));
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let config = StationConfig {
        host,
        port,
        site: args.site,
        station: args.station,
        secrets,
        data_dir,
        printer: resolve("printer", &args.printer)?,
        printer_timeout: Duration::from_millis(args.printer_timeout_ms.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(crate::cancel_on_signal(cancel.clone()));
        run_station(config, cancel).await
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    outcome?;
    Ok(ExitCode::SUCCESS)
}
