//! Starting an in-process hub for a benchmark, on fresh loopback ports,
//! and provisioning its devices (auth is always on: every benchmark device
//! logs in and signs its batches, as a real one does).

use crate::ingest::wait_subscribed;
use std::path::{Path, PathBuf};
use tests::mosquitto::{export_acl, hub_config, Mosquitto};

/// Which broker a benchmark's hub runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Broker {
    /// The hub's own rumqttd (in its `hub broker-child` process).
    Embedded,
    /// Debian's Mosquitto with the files `hub device acl` writes.
    Mosquitto,
}

impl Broker {
    /// Its name in tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Broker::Embedded => "embedded",
            Broker::Mosquitto => "mosquitto",
        }
    }
}

/// A Mosquitto for the hub of `site`, and the hub config file that puts a
/// hub on it (`[external_broker]` login; the address is
/// [`Mosquitto::addr`]).
pub struct HubMosquitto {
    /// The running broker (killed when dropped).
    pub broker: Mosquitto,
    /// The hub config file (`--config`).
    pub config: PathBuf,
}

/// Starts Mosquitto loading the files the real `hub device acl` wrote for
/// the registry in `data` (devices provisioned before), its own files and
/// the hub config in `work` (not `data`). It logs only errors, warnings
/// and notices: thousands of clients would otherwise have it write a line
/// per packet. It inherits this process's open-file limit.
pub fn start_mosquitto(work: &Path, data: &Path, site: &str) -> HubMosquitto {
    let config = hub_config(
        work,
        site,
        &format!("hub-{site}"),
        &format!("hub-secret-for-the-{site}-bench"),
    );
    let acl = work.join("acl");
    export_acl(data, &config, &acl);
    let broker = Mosquitto::start_logging(work, &acl, &["error", "warning", "notice"]);
    HubMosquitto { broker, config }
}

/// Starts a hub for site `bench` with its data in `dir`; returns it and its
/// MQTT port once it is subscribed.
pub async fn start(dir: &Path) -> anyhow::Result<(hub::RunningHub, u16)> {
    start_with(dir, |_| {}).await
}

/// [`start`] with the config changed by `change` first.
pub async fn start_with(
    dir: &Path,
    change: impl FnOnce(&mut hub::HubConfig),
) -> anyhow::Result<(hub::RunningHub, u16)> {
    let mut config = hub::HubConfig {
        site: "bench".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: dir.to_path_buf(),
        // The embedded broker runs in the hub binary's own process.
        broker_program: Some(tests::bin_path("hub")),
        ..hub::HubConfig::default()
    };
    change(&mut config);
    let port = config.mqtt_listen.port();
    let hub = hub::start(config).await?;
    // The harness's HTTP helpers call it with its first-start token.
    tests::http::use_hub_token(hub.http_addr, dir);
    wait_subscribed(&hub).await?;
    Ok((hub, port))
}

/// [`start`] on `mosquitto` instead of the embedded broker; the port
/// returned is the broker's.
pub async fn start_on_mosquitto(
    dir: &Path,
    mosquitto: &HubMosquitto,
) -> anyhow::Result<(hub::RunningHub, u16)> {
    let mut external = hub::HubConfig::from_file(&mosquitto.config)?.external_broker;
    external.address = Some(mosquitto.broker.addr());
    let (hub, _) = start_with(dir, |c| c.external_broker = external).await?;
    Ok((hub, mosquitto.broker.port))
}

/// Stops a hub and waits for its final commit.
pub async fn stop(hub: hub::RunningHub) -> anyhow::Result<()> {
    hub.cancel.cancel();
    hub.wait().await?;
    Ok(())
}

/// Provisions `ids` for site `bench` in the registry of `dir` (through the
/// hub's library, as `hub device add` does) and writes their credentials
/// file there, for agent processes.
pub fn provision(dir: &Path, ids: &[String]) -> anyhow::Result<tests::Credentials> {
    let registry = hub::devices::Registry::new(dir);
    let issued = registry.add(ids, "bench", hub::clock::wall_ms())?;
    let file = protocol::CredentialsFile { devices: issued };
    let path = dir.join("bench-credentials.json");
    std::fs::write(&path, serde_json::to_vec(&file)?)?;
    Ok(tests::Credentials { path, file })
}

/// The publisher secrets of `id`.
pub fn secrets(creds: &tests::Credentials, id: &str) -> anyhow::Result<agent::DeviceSecrets> {
    Ok(agent::credentials::secrets_for(
        &creds.file,
        &creds.path,
        "bench",
        id,
    )?)
}
