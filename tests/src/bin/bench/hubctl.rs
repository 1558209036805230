//! Starting an in-process hub for a benchmark, on fresh loopback ports,
//! and provisioning its devices (auth is always on: every benchmark device
//! logs in and signs its batches, as a real one does).

use crate::ingest::wait_subscribed;
use std::path::Path;

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
