//! `hub`: the sync hub binary. With no arguments it runs with defaults
//! (embedded broker on 127.0.0.1:1883, HTTP on 127.0.0.1:8080, data in ./data).
//! `hub device add|revoke|rotate|list` manages device identities,
//! `hub token create|list|revoke` the HTTP API's tokens.

mod cli;

use anyhow::Context;
use clap::{Parser, Subcommand};
use hub::HubConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(
    name = "hub",
    version,
    about = "Warehouse sync hub: embedded MQTT broker, stock pool, HTTP API"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    /// How log lines are written to standard error: text for people
    /// (coloured only on a terminal) or json for log shippers.
    #[arg(long, value_enum, global = true, default_value_t = hub::logs::LogFormat::Text)]
    log_format: hub::logs::LogFormat,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the hub (the default).
    Run(RunArgs),
    /// Rebuild the pool from the event log in DIR and compare it with the
    /// stored pool, offline (the hub must not be running on DIR). Prints
    /// every difference; exits 0 when they match, 1 on a mismatch, 2 when
    /// the store cannot be read.
    Verify {
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Copy the store in DIR into a fresh sled database, giving back the
    /// space sled holds in its data file, offline (the hub must not be
    /// running on DIR; a running hub compacts by itself past
    /// `store_compact_mb`). Finishes an interrupted compaction first.
    Compact {
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Provision, revoke, rotate and list devices (works while the hub runs).
    #[command(subcommand)]
    Device(cli::device::DeviceCommand),
    /// Make, list and revoke HTTP API tokens (works while the hub runs).
    #[command(subcommand)]
    Token(cli::token::TokenCommand),
    /// Import the region table (into a data directory) or orders from a
    /// CSV file (into a running hub).
    #[command(subcommand)]
    Import(cli::import::ImportCommand),
    /// Reports from a running hub, over its HTTP API (`hub report
    /// timeliness --week 2026-W49 --format csv --out FILE`).
    #[command(subcommand)]
    Report(cli::report::ReportCommand),
    /// Print this hub's public key, which other sites' hubs on the same
    /// broker set as `[peers.SITE] public_key` to believe its stock
    /// notices (the key is made in DIR at first use).
    SiteKey {
        /// Data directory.
        #[arg(long, default_value = "data")]
        data: PathBuf,
    },
    /// The embedded broker's own process, started and supervised by the
    /// hub (not for use by hand).
    #[command(hide = true)]
    BrokerChild {
        /// Where to listen.
        #[arg(long)]
        listen: SocketAddr,
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The site.
        #[arg(long)]
        site: String,
    },
}

#[derive(clap::Args, Debug, Default)]
struct RunArgs {
    /// TOML config file; flags override its values.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Site (warehouse) id this hub owns.
    #[arg(long)]
    site: Option<String>,
    /// Embedded MQTT broker listen address.
    #[arg(long)]
    mqtt: Option<SocketAddr>,
    /// HTTP listen address.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Data directory.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Use this external broker (mqtt://HOST:PORT, mqtts://HOST:PORT or
    /// HOST:PORT) instead of the embedded one.
    #[arg(long, value_name = "URL")]
    external_broker: Option<String>,
    /// The hub's username on the external broker.
    #[arg(long, value_name = "NAME")]
    external_broker_username: Option<String>,
    /// A file holding the hub's broker password (the environment variable
    /// WMS_BROKER_PASSWORD wins over it).
    #[arg(long, value_name = "FILE")]
    external_broker_password_file: Option<PathBuf>,
    /// The CA certificate (PEM) of an mqtts:// broker.
    #[arg(long, value_name = "FILE")]
    external_broker_ca_file: Option<PathBuf>,
    /// Keep Mosquitto's password and ACL files in this directory.
    #[arg(long, value_name = "DIR")]
    external_broker_acl_dir: Option<PathBuf>,
    /// The command (split on spaces, no shell) that makes the broker
    /// reload those files, e.g. "systemctl reload mosquitto".
    #[arg(long, value_name = "COMMAND")]
    external_broker_reload: Option<String>,
}

fn load_config(args: RunArgs) -> anyhow::Result<HubConfig> {
    let mut config = match &args.config {
        Some(path) => HubConfig::from_file(path)?,
        None => HubConfig::default(),
    };
    if let Some(v) = args.site {
        config.site = v;
    }
    if let Some(v) = args.mqtt {
        config.mqtt_listen = v;
    }
    if let Some(v) = args.http {
        config.http_listen = v;
    }
    if let Some(v) = args.data {
        config.data_dir = v;
    }
    let external = &mut config.external_broker;
    external.address = args.external_broker.or(external.address.take());
    external.username = args.external_broker_username.or(external.username.take());
    external.password_file = args
        .external_broker_password_file
        .or(external.password_file.take());
    external.ca_file = args.external_broker_ca_file.or(external.ca_file.take());
    external.acl_dir = args.external_broker_acl_dir.or(external.acl_dir.take());
    if let Some(command) = args.external_broker_reload {
        external.reload = command.split_whitespace().map(String::from).collect();
    }
    config.validate()?;
    Ok(config)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // rumqttd logs every ordinary disconnect (the broker's health probe
    // makes one a second) at error level: the hub's own lines say what
    // matters about the broker, rumqttd's are asked for with RUST_LOG.
    hub::logs::init(cli.log_format, "info,rumqttd=off,rumqttc=warn")?;
    let args = match cli.command {
        Some(Command::Run(args)) => args,
        Some(Command::Verify { data }) => std::process::exit(verify(&data)),
        Some(Command::Compact { data }) => return compact(&data),
        Some(Command::Device(command)) => return cli::device::run(command),
        Some(Command::Token(command)) => return cli::token::run(command),
        Some(Command::Import(command)) => {
            return match cli::import::run(command)? {
                true => Ok(()),
                false => Err(anyhow::anyhow!("some orders were rejected (listed above)")),
            }
        }
        Some(Command::Report(command)) => return cli::report::run(command),
        Some(Command::SiteKey { data }) => {
            let key = hub::sites::signing::SiteKey::load_or_create(&data)?;
            println!("{}", key.public_hex());
            return Ok(());
        }
        Some(Command::BrokerChild { listen, data, site }) => {
            let args = hub::net::broker::child::ChildArgs {
                listen,
                data_dir: data,
                site,
            };
            return Ok(hub::net::broker::child::run(args)?);
        }
        None => cli.run,
    };
    let config = load_config(args)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let cancel = CancellationToken::new();
        let signal_cancel = cancel.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested");
            signal_cancel.cancel();
        });
        hub::run(config, cancel).await
    })?;
    Ok(())
}

/// `hub compact`: the store in `data` copied into a fresh database.
fn compact(data: &std::path::Path) -> anyhow::Result<()> {
    if !data.is_dir() {
        anyhow::bail!("hub compact: no store in {}", data.display());
    }
    hub::store::compact::finish_interrupted(data)?;
    if !data.join("db").is_file() {
        anyhow::bail!("hub compact: no store in {}", data.display());
    }
    let done = hub::store::compact::compact(data)
        .with_context(|| format!("cannot compact the store in {}", data.display()))?;
    println!(
        "compacted {} records: data file {} MiB -> {} MiB",
        done.records,
        done.before >> 20,
        done.after >> 20
    );
    Ok(())
}

/// `hub verify`: 0 match, 1 mismatch, 2 the store cannot be read.
fn verify(data: &std::path::Path) -> i32 {
    if !data.is_dir() {
        eprintln!("hub verify: no data directory at {}", data.display());
        return 2;
    }
    let result = hub::store::Store::open(data).and_then(|store| hub::reconcile::verify(&store));
    let v = match result {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "hub verify: cannot read the store in {}: {e}",
                data.display()
            );
            return 2;
        }
    };
    println!(
        "replayed {} log entries, {} movements",
        v.events, v.movements
    );
    for d in &v.stock_differences {
        println!(
            "stock differs: sku={} location={} lot={:?} stored={} replayed={}",
            d.sku, d.location, d.lot, d.stored, d.replayed
        );
    }
    if v.matches() {
        println!("ok: the stored pool equals the replay of the event log");
        0
    } else {
        println!(
            "MISMATCH: {} stock difference(s)",
            v.stock_differences.len()
        );
        1
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
