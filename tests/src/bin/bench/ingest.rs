//! Hub ingest: movements per second durably applied and acknowledged, with
//! many devices publishing at once, against the raw embedded broker moving
//! the same pre-encoded messages to one subscriber with no processing.
//! Both passes log in with provisioned credentials (the raw broker runs the
//! same connect check); every frame is signed before the clock starts, so
//! the hub pass pays one HMAC check per batch on top of the raw one.

use crate::stats::verdict;
use anyhow::{bail, Context};
use hub::devices::{reload, BrokerAuth, Devices, InternalLogin, Registry};
use protocol::{encode_signed, DeviceCredentials, DeviceKey, EventBatch};
use protocol::{Movement, MovementKind};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::identity::AckOpener;
use tokio::sync::Barrier;

/// Shape of the load.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Publishing devices.
    pub devices: usize,
    /// Batches each device sends.
    pub batches: usize,
    /// Movements per batch.
    pub per_batch: usize,
}

impl Load {
    fn movements(&self) -> u64 {
        (self.devices * self.batches * self.per_batch) as u64
    }
}

fn frames(creds: &DeviceCredentials, load: Load) -> anyhow::Result<Vec<Vec<u8>>> {
    let key = DeviceKey::from_hex(&creds.key)?;
    let (site, device) = (creds.site.as_str(), creds.device.as_str());
    Ok(unsigned_frames(site, device, load)
        .iter()
        .map(|batch| encode_signed(&key, batch))
        .collect())
}

fn unsigned_frames(site: &str, device: &str, load: Load) -> Vec<EventBatch> {
    (0..load.batches)
        .map(|b| {
            let first = (b * load.per_batch) as u64 + 1;
            let movements = (0..load.per_batch as u64)
                .map(|i| Movement {
                    seq: first + i,
                    kind: MovementKind::Receive,
                    sku: format!("SKU-{}", (first + i) % 500),
                    location: format!("A-{:02}", (first + i) % 40),
                    to_location: None,
                    lot: None,
                    quantity: 1,
                    device_time_ms: 1_700_000_000_000 + first + i,
                    task: None,
                })
                .collect();
            EventBatch {
                site: site.into(),
                device: device.into(),
                // Every run starts a fresh hub: one journal epoch will do.
                epoch: 1,
                first_seq: first,
                movements,
                auth_tag: None,
            }
        })
        .collect()
}

/// Client options for a benchmark device, logged in as it.
pub fn device_options(creds: &DeviceCredentials, port: u16) -> MqttOptions {
    let id = format!("agent-{}-{}", creds.site, creds.device);
    let mut o = options(&id, port);
    o.set_credentials(creds.username.clone(), creds.password.clone());
    o
}

/// Client options for a benchmark connection.
pub fn options(id: &str, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(2 << 20, 2 << 20)
        .set_inflight(200)
        .set_clean_session(true);
    o
}

/// Polls until the broker accepts the connection, retrying refused
/// connections for up to 10 s (the broker may still be binding).
pub async fn connected(el: &mut EventLoop) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
            Ok(_) => {}
            Err(e) if Instant::now() > deadline => bail!("cannot connect: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// One device: connect, wait for the start, publish every batch, and poll
/// until the hub acks the last seq (or, raw, until every PUBACK is in).
async fn device(
    port: u16,
    creds: DeviceCredentials,
    load: Load,
    wait_ack: bool,
    go: Arc<Barrier>,
) -> anyhow::Result<()> {
    let (site, id) = (creds.site.clone(), creds.device.clone());
    let (client, mut el) = AsyncClient::new(device_options(&creds, port), load.batches + 10);
    connected(&mut el).await?;
    if wait_ack {
        client
            .subscribe(format!("wms/{site}/dev/{id}/ack"), QoS::AtLeastOnce)
            .await?;
        while !matches!(el.poll().await?, Event::Incoming(Packet::SubAck(_))) {}
    }
    let frames = frames(&creds, load)?;
    let opener = AckOpener::new(&creds).context("bad key")?;
    let target = (load.batches * load.per_batch) as u64;
    go.wait().await;
    let events = format!("wms/{site}/dev/{id}/events");
    let publisher = tokio::spawn(async move {
        for f in frames {
            client
                .publish(events.clone(), QoS::AtLeastOnce, false, f)
                .await?;
        }
        Ok::<_, rumqttc::ClientError>(client)
    });
    let mut pubacks = 0;
    loop {
        match el.poll().await? {
            Event::Incoming(Packet::PubAck(_)) => pubacks += 1,
            Event::Incoming(Packet::Publish(p)) if wait_ack => {
                if let Some(through) = opener.through(&p.topic, &p.payload) {
                    if through >= target {
                        break;
                    }
                }
            }
            _ => {}
        }
        if !wait_ack && pubacks == load.batches {
            break;
        }
    }
    let _client = publisher.await??;
    Ok(())
}

async fn raw_subscriber(
    port: u16,
    login: InternalLogin,
    expected: usize,
    ready: Arc<Barrier>,
) -> anyhow::Result<Instant> {
    let mut opts = options(&login.client_id, port);
    opts.set_credentials(login.username.clone(), login.password.clone());
    let (client, mut el) = AsyncClient::new(opts, 100);
    connected(&mut el).await?;
    client
        .subscribe("wms/+/dev/+/events", QoS::AtLeastOnce)
        .await?;
    while !matches!(el.poll().await?, Event::Incoming(Packet::SubAck(_))) {}
    ready.wait().await;
    let mut seen = 0;
    while seen < expected {
        if let Event::Incoming(Packet::Publish(_)) = el.poll().await? {
            seen += 1;
        }
    }
    Ok(Instant::now())
}

/// Runs all devices against `port`; returns the elapsed time from the start
/// signal to the last completion (an ack, or the raw subscriber's last message).
/// `raw`: the raw broker's login for the subscriber (None: the hub pass).
async fn drive(
    port: u16,
    creds: &tests::Credentials,
    load: Load,
    raw: Option<InternalLogin>,
) -> anyhow::Result<Duration> {
    let hub_mode = raw.is_none();
    let parties = load.devices + 1 + usize::from(!hub_mode);
    let go = Arc::new(Barrier::new(parties));
    let sub = raw.map(|login| {
        tokio::spawn(raw_subscriber(
            port,
            login,
            load.devices * load.batches,
            go.clone(),
        ))
    });
    let mut tasks = Vec::new();
    for entry in creds.file.devices.iter().take(load.devices) {
        tasks.push(tokio::spawn(device(
            port,
            entry.clone(),
            load,
            hub_mode,
            go.clone(),
        )));
    }
    go.wait().await;
    let start = Instant::now();
    for t in tasks {
        t.await.context("device task")??;
    }
    let end = match sub {
        Some(s) => s.await.context("subscriber task")??,
        None => Instant::now(),
    };
    Ok(end - start)
}

/// Waits until the hub holds its subscriptions (publishes before that
/// would be dropped by the broker, as MQTT does for topics nobody reads).
pub async fn wait_subscribed(hub: &hub::RunningHub) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !hub.metrics.is_subscribed() {
        if Instant::now() > deadline {
            bail!("hub did not subscribe within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Runs the raw-broker pass, then the hub pass, and prints the ratio.
pub async fn run(load: Load) -> anyhow::Result<bool> {
    let dir = tempfile::tempdir()?;
    let ids: Vec<String> = (0..load.devices).map(|d| format!("ing-{d}")).collect();
    let creds = crate::hubctl::provision(dir.path(), &ids)?;
    let raw_port = tests::free_port();
    let login = InternalLogin::generate("bench")?;
    // The raw pass: the same broker in this process, nothing behind it.
    let auth = BrokerAuth {
        devices: Devices::new(reload::load_book(&Registry::new(dir.path()))?),
        internal: login.clone(),
    };
    hub::net::broker::start(([127, 0, 0, 1], raw_port).into(), auth)?;
    let raw = drive(raw_port, &creds, load, Some(login)).await?;
    eprintln!("ingest: raw pass done in {raw:?}");

    let config = hub::HubConfig {
        site: "bench".into(),
        mqtt_listen: ([127, 0, 0, 1], tests::free_port()).into(),
        http_listen: ([127, 0, 0, 1], 0).into(),
        data_dir: dir.path().to_path_buf(),
        broker_program: Some(tests::bin_path("hub")),
        ..hub::HubConfig::default()
    };
    let port = config.mqtt_listen.port();
    let hub = hub::start(config).await?;
    wait_subscribed(&hub).await?;
    let ours = drive(port, &creds, load, None).await?;
    let applied = hub
        .metrics
        .movements_applied
        .load(std::sync::atomic::Ordering::Relaxed);
    let commits = hub
        .metrics
        .commits
        .load(std::sync::atomic::Ordering::Relaxed);
    hub.cancel.cancel();
    hub.wait().await?;
    if applied != load.movements() {
        bail!(
            "hub applied {applied} movements, expected {}",
            load.movements()
        );
    }
    let raw_rate = load.movements() as f64 / raw.as_secs_f64();
    let our_rate = load.movements() as f64 / ours.as_secs_f64();
    let ratio = our_rate / raw_rate;
    println!(
        "ingest: {} devices x {} batches x {} movements = {} movements",
        load.devices,
        load.batches,
        load.per_batch,
        load.movements()
    );
    println!(
        "  raw broker (no processing): {:>10.0} movements/s ({:.3} s)",
        raw_rate,
        raw.as_secs_f64()
    );
    println!("  hub durably applied + acked: {:>9.0} movements/s ({:.3} s, {} group commits, {:.0} movements/commit)", our_rate, ours.as_secs_f64(), commits, applied as f64 / commits.max(1) as f64);
    let ok = our_rate >= 50_000.0 && ratio >= 0.5;
    println!(
        "  ratio hub/raw = {ratio:.2} (target >= 0.50), rate target >= 50000/s: {}",
        verdict(ok)
    );
    Ok(ok)
}

/// One device publishing one single-movement batch at a time and waiting
/// for its ack: the bare round trip, without the agent's journal.
pub async fn probe(rounds: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let creds = crate::hubctl::provision(dir.path(), &["probe-1".to_string()])?;
    let (hub, port) = crate::hubctl::start(dir.path()).await?;
    let mut opts = device_options(&creds.file.devices[0], port);
    opts.set_inflight(10);
    let (client, mut el) = AsyncClient::new(opts, 10);
    let mut net = el.network_options();
    net.set_tcp_nodelay(true);
    el.set_network_options(net);
    connected(&mut el).await?;
    client
        .subscribe("wms/bench/dev/probe-1/ack", QoS::AtLeastOnce)
        .await?;
    while !matches!(el.poll().await?, Event::Incoming(Packet::SubAck(_))) {}
    let load = Load {
        devices: 1,
        batches: rounds,
        per_batch: 1,
    };
    let mut samples = Vec::new();
    let opener = AckOpener::new(&creds.file.devices[0]).context("bad key")?;
    for (i, f) in frames(&creds.file.devices[0], load)?
        .into_iter()
        .enumerate()
    {
        let t0 = Instant::now();
        client
            .publish("wms/bench/dev/probe-1/events", QoS::AtLeastOnce, false, f)
            .await?;
        loop {
            if let Event::Incoming(Packet::Publish(p)) = el.poll().await? {
                if let Some(through) = opener.through(&p.topic, &p.payload) {
                    if through > i as u64 {
                        break;
                    }
                }
            }
        }
        samples.push(t0.elapsed());
    }
    println!(
        "probe: publish -> ack round trip: {}",
        crate::stats::Distribution::new(samples).summary()
    );
    crate::hubctl::stop(hub).await
}
