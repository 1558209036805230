//! Device identities for the multi-process tests, provisioned the way an
//! operator does it: by running the real `hub device add ... --out FILE`
//! (or `rotate`) against the hub's data directory, before or while the hub
//! runs. Agents then get the file with `--credentials`.

use protocol::{CredentialsFile, DeviceCredentials};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// A credentials file written by `hub device add|rotate --out`.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The file (hand it to `agent --credentials`).
    pub path: PathBuf,
    /// What it holds.
    pub file: CredentialsFile,
}

impl Credentials {
    /// The entry of `device`; panics (fails the test) if there is none.
    pub fn device(&self, device: &str) -> &DeviceCredentials {
        self.file
            .device(device)
            .unwrap_or_else(|| panic!("no credentials for {device} in {}", self.path.display()))
    }

    /// The site of `device`.
    pub fn site(&self, device: &str) -> &str {
        &self.device(device).site
    }
}

/// Runs `hub device ARGS --data HUB_DATA`.
pub fn hub_device(hub_data: &Path, args: &[&str]) -> Output {
    let mut all = vec!["device"];
    all.extend_from_slice(args);
    crate::procs::hub_command(hub_data, &all)
}

fn out_file(hub_data: &Path) -> PathBuf {
    let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
    // Inside the hub's data directory: it exists once `hub device` ran, and
    // goes away with the test's temporary directory.
    hub_data.join(format!("credentials-{n}.json"))
}

fn run_with_out(hub_data: &Path, args: &[&str]) -> Credentials {
    run_with_out_to(hub_data, args, out_file(hub_data))
}

fn read_credentials(path: PathBuf) -> Credentials {
    let text = std::fs::read_to_string(&path).expect("read credentials file");
    let file = serde_json::from_str(&text).expect("parse credentials file");
    Credentials { path, file }
}

fn run_with_out_to(hub_data: &Path, args: &[&str], path: PathBuf) -> Credentials {
    let mut all: Vec<&str> = args.to_vec();
    let path_text = path.to_str().expect("utf-8 temp path");
    all.extend(["--out", path_text]);
    let out = hub_device(hub_data, &all);
    assert!(
        out.status.success(),
        "hub device {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_credentials(path)
}

/// Provisions `devices` once per data directory: a hub restarted on the
/// same directory keeps its registry, so later calls read the file the
/// first one wrote.
pub fn provision_once(hub_data: &Path, site: &str, devices: &[&str]) -> Credentials {
    let path = hub_data.join(format!("credentials-{}.json", devices.join("+")));
    if path.exists() {
        return read_credentials(path);
    }
    let mut args = vec!["add"];
    args.extend_from_slice(devices);
    args.extend(["--site", site]);
    run_with_out_to(hub_data, &args, path)
}

/// Provisions `devices` for `site` in the registry of `hub_data`.
pub fn provision(hub_data: &Path, site: &str, devices: &[&str]) -> Credentials {
    let mut args = vec!["add"];
    args.extend_from_slice(devices);
    args.extend(["--site", site]);
    run_with_out(hub_data, &args)
}

/// Provisions printer stations `stations` for `site` (`hub device add
/// --kind printer-station`).
pub fn provision_stations(hub_data: &Path, site: &str, stations: &[&str]) -> Credentials {
    let mut args = vec!["add"];
    args.extend_from_slice(stations);
    args.extend(["--site", site, "--kind", "printer-station"]);
    run_with_out(hub_data, &args)
}

/// New secrets for `device` (the old ones stop working).
pub fn rotate(hub_data: &Path, device: &str) -> Credentials {
    run_with_out(hub_data, &["rotate", device])
}

/// Revokes `device`.
pub fn revoke(hub_data: &Path, device: &str) {
    let out = hub_device(hub_data, &["revoke", device]);
    assert!(
        out.status.success(),
        "hub device revoke failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// MQTT options that log in as `device` (its client id, username and
/// password), as the agent does.
pub fn device_options(creds: &Credentials, device: &str, port: u16) -> rumqttc::MqttOptions {
    let entry = creds.device(device);
    let client_id = format!("agent-{}-{}", entry.site, entry.device);
    let mut opts = rumqttc::MqttOptions::new(client_id, "127.0.0.1", port);
    opts.set_credentials(entry.username.clone(), entry.password.clone())
        .set_max_packet_size(1 << 20, 1 << 20);
    opts
}

/// The batch-signing key of `device`.
pub fn device_key(creds: &Credentials, device: &str) -> protocol::DeviceKey {
    protocol::DeviceKey::from_hex(&creds.device(device).key).expect("key in credentials file")
}

/// `batch` as a frame signed with `device`'s key.
pub fn signed_frame(creds: &Credentials, device: &str, batch: &protocol::EventBatch) -> Vec<u8> {
    protocol::encode_signed(&device_key(creds, device), batch)
}

/// The `mosquitto_pub` login flags for `device`.
pub fn mosquitto_login(creds: &Credentials, device: &str) -> Vec<String> {
    let entry = creds.device(device);
    vec![
        "-i".into(),
        format!("agent-{}-{}", entry.site, entry.device),
        "-u".into(),
        entry.username.clone(),
        "-P".into(),
        entry.password.clone(),
    ]
}

/// Connects with `opts` and reports whether the broker accepted (a
/// successful CONNACK) or refused (rumqttd closes the connection without
/// one; other brokers answer "not authorized"). Waits at most 5 s.
pub fn connect_outcome(mut opts: rumqttc::MqttOptions) -> bool {
    use rumqttc::{ConnectReturnCode, Event, Packet};
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut conn) = rumqttc::Client::new(opts, 10);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let accepted = loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        match conn.recv_timeout(remaining) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => {
                break ack.code == ConnectReturnCode::Success
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break false,
        }
    };
    // Leave cleanly, and wait until the broker has closed the connection:
    // a login with the same client id that comes while the broker still
    // holds this one makes it drop "the previous connection", and rumqttd
    // 0.20 can then lose track of the new one (its publishes go nowhere).
    let _ = client.disconnect();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        match conn.recv_timeout(remaining) {
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }
    accepted
}

/// Opens the hub's sealed acks (and, with [`AckOpener::open`], any sealed
/// frame such as a task list) as `device` does (no replay rule: tests and
/// benchmarks only read the watermark), for any journal epoch or, after
/// [`AckOpener::in_epoch`], one.
#[derive(Debug, Clone)]
pub struct AckOpener {
    site: String,
    device: String,
    topic: String,
    key_version: u32,
    key: protocol::SealKey,
    epoch: Option<u64>,
}

/// A journal epoch for a stand-in device: random enough that two in one
/// test run never meet, never 0.
pub fn fresh_epoch() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static DRAWN: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let seed = nanos
        ^ DRAWN.fetch_add(1, Ordering::Relaxed).rotate_left(32)
        ^ u64::from(std::process::id());
    crate::sim::Rng::new(seed).next_u64().max(1)
}

impl AckOpener {
    /// The opener for the device of `entry`; None if its key does not parse.
    pub fn new(entry: &DeviceCredentials) -> Option<AckOpener> {
        let key = protocol::DeviceKey::from_hex(&entry.key).ok()?;
        Some(AckOpener {
            topic: format!("wms/{}/dev/{}/ack", entry.site, entry.device),
            site: entry.site.clone(),
            device: entry.device.clone(),
            key_version: entry.key_version,
            key: protocol::SealKey::derive(&key),
            epoch: None,
        })
    }

    /// The same opener, taking only acks for journal `epoch`.
    pub fn in_epoch(self, epoch: u64) -> AckOpener {
        AckOpener {
            epoch: Some(epoch),
            ..self
        }
    }

    /// The device's ack topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// `through_seq` of the ack in `payload` received on `topic`, if it
    /// opens for this device (and names the epoch, if one was set).
    pub fn through(&self, topic: &str, payload: &[u8]) -> Option<u64> {
        self.ack(topic, payload)
            .filter(|ack| self.epoch.is_none_or(|e| e == ack.epoch))
            .map(|ack| ack.through_seq)
    }

    /// The ack in `payload` received on `topic`, if it opens for this
    /// device, whatever its epoch.
    pub fn ack(&self, topic: &str, payload: &[u8]) -> Option<protocol::Ack> {
        match self.open(topic, payload)? {
            protocol::Message::Ack(ack) => Some(ack),
            _ => None,
        }
    }

    /// Any sealed frame in `payload` received on `topic` (an ack, a task
    /// list), if it opens for this device.
    pub fn open(&self, topic: &str, payload: &[u8]) -> Option<protocol::Message> {
        let to = protocol::Recipient {
            site: &self.site,
            device: &self.device,
            topic,
            key_version: self.key_version,
        };
        Some(
            protocol::sealed::open(&self.key, &to, payload)
                .ok()?
                .message,
        )
    }
}
