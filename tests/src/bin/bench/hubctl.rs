//! Starting an in-process hub for a benchmark, on fresh loopback ports.

use crate::ingest::wait_subscribed;
use std::path::Path;

/// Starts a hub for site `bench` with its data in `dir`; returns it and its
/// MQTT port once it is subscribed.
pub async fn start(dir: &Path) -> anyhow::Result<(hub::RunningHub, u16)> {
    let config = hub::HubConfig {
        site: "bench".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: dir.to_path_buf(),
        ..hub::HubConfig::default()
    };
    let port = config.mqtt_listen.port();
    let hub = hub::start(config).await?;
    wait_subscribed(&hub).await?;
    Ok((hub, port))
}

/// Stops a hub and waits for its final commit.
pub async fn stop(hub: hub::RunningHub) -> anyhow::Result<()> {
    hub.cancel.cancel();
    hub.wait().await?;
    Ok(())
}
