//! The per-device limits for an external Mosquitto broker (promise 10):
//! `hub device acl --format mosquitto` writes `mosquitto.acl` (each device
//! may write only its own events, status and taskack topics and read only
//! its own ack and tasks topics; the hub reads and writes its site's topics),
//! `mosquitto.passwd` (Mosquitto 2's `$7$` hashes, for active devices and
//! the hub only) and `mosquitto.conf` (the settings that make the two
//! files bind, for `include_dir`).
//!
//! Why the password hash is kept in the registry: a Mosquitto hash can
//! only be made from the plaintext, which the hub sees once, at
//! `hub device add` and `rotate`. Devices provisioned before the export
//! existed have none and must be rotated first ([`AclError::NoHash`]).

use super::registry::{DeviceKind, DeviceStatus, RegistryFile};
use super::secrets::{self, RandomError};
use protocol::TopicKind;
use sha2::{Digest, Sha512};
use std::fmt::Write as _;
use std::path::Path;

/// PBKDF2 rounds, as `mosquitto_passwd` 2.0 uses.
const ROUNDS: u32 = 101;
/// Salt bytes, as `mosquitto_passwd` 2.0 uses.
const SALT_LEN: usize = 12;

/// Why the files could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AclError {
    /// Active devices without a stored Mosquitto hash.
    #[error(
        "device(s) {0} were provisioned before the Mosquitto export and have no Mosquitto \
         password hash: run `hub device rotate DEVICE --out FILE` for each and give the device \
         its new credentials, then export again"
    )]
    NoHash(String),
    /// No randomness for the hub's salt.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// A topic filter could not be built (a bad site id).
    #[error("cannot build topics: {0}")]
    Topic(#[from] protocol::TopicError),
}

/// The hub's own login to the broker.
#[derive(Debug, Clone)]
pub struct HubLogin<'a> {
    /// The site it serves.
    pub site: &'a str,
    /// Its username.
    pub username: &'a str,
    /// Its password (hashed here, never written in clear).
    pub password: &'a str,
}

/// The three files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MosquittoFiles {
    /// `mosquitto.acl`.
    pub acl: String,
    /// `mosquitto.passwd`.
    pub passwd: String,
    /// How many devices are let in.
    pub devices: usize,
}

/// Mosquitto 2's `$7$` hash of `password`: PBKDF2-HMAC-SHA512, 101
/// rounds, 12-byte salt, 64-byte result, both in standard base64.
pub fn password_hash(password: &str, salt: &[u8]) -> String {
    let hash = pbkdf2_sha512_one_block(password.as_bytes(), salt, ROUNDS);
    format!("$7${ROUNDS}${}${}", base64(salt), base64(&hash))
}

/// [`password_hash`] with a fresh random salt.
pub fn new_password_hash(password: &str) -> Result<String, RandomError> {
    Ok(password_hash(
        password,
        &secrets::random_bytes::<SALT_LEN>()?,
    ))
}

/// The files for `registry`: active devices of `hub.site` only; revoked
/// devices and other sites' devices are left out of both files.
pub fn files(registry: &RegistryFile, hub: &HubLogin<'_>) -> Result<MosquittoFiles, AclError> {
    let active: Vec<_> = registry
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Active && d.site == hub.site)
        .collect();
    let missing: Vec<_> = active
        .iter()
        .filter(|d| d.mosquitto_hash.is_none())
        .map(|d| d.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(AclError::NoHash(missing.join(", ")));
    }
    let mut acl = String::from(
        "# Written by `hub device acl --format mosquitto`; regenerate after every\n\
         # `hub device add|revoke|rotate` and reload Mosquitto (SIGHUP).\n\n",
    );
    let hash = new_password_hash(hub.password)?;
    let mut passwd = format!("{0}:{hash}\n{0}-probe:{hash}\n", hub.username);
    hub_rules(&mut acl, hub)?;
    for device in &active {
        device_rules(&mut acl, hub.site, &device.id, device.kind);
        if let Some(hash) = &device.mosquitto_hash {
            passwd.push_str(&format!("{}:{hash}\n", device.id));
        }
    }
    Ok(MosquittoFiles {
        acl,
        passwd,
        devices: active.len(),
    })
}

/// The settings that make the two files bind, with their absolute paths.
pub fn conf(dir: &Path) -> String {
    format!(
        "# Written by `hub device acl --format mosquitto`: load with\n\
         # `include_dir {dir}` before your `listener` line: these settings are\n\
         # global, and a listener option met before any listener makes\n\
         # Mosquitto open its default port 1883.\n\
         per_listener_settings false\n\
         allow_anonymous false\n\
         # Also put `use_username_as_clientid true` under each listener (a\n\
         # listener option): the client id is then the username, so no login\n\
         # can take over another device's session.\n\
         # The hub takes every device's traffic on one connection: let many\n\
         # messages be in flight to it, and queue rather than drop while it\n\
         # is busy (Mosquitto's defaults are 20 and 1000).\n\
         max_inflight_messages 1000\n\
         max_queued_messages 100000\n\
         password_file {dir}/mosquitto.passwd\n\
         acl_file {dir}/mosquitto.acl\n",
        dir = dir.display()
    )
}

fn hub_rules(acl: &mut String, hub: &HubLogin<'_>) -> Result<(), AclError> {
    let _ = writeln!(acl, "user {}", hub.username);
    for (access, kind) in [
        ("read", TopicKind::Events),
        ("read", TopicKind::Status),
        ("read", TopicKind::TaskAck),
        ("read", TopicKind::PrinterDone),
        ("write", TopicKind::Ack),
        ("write", TopicKind::Tasks),
        ("write", TopicKind::PrinterJobs),
    ] {
        let _ = writeln!(acl, "topic {access} {}", kind.filter_for_site(hub.site)?);
    }
    // Its claim on the site and its stock notices; every site's notices.
    let _ = writeln!(acl, "topic readwrite wms/{}/hub/#", hub.site);
    let _ = writeln!(
        acl,
        "topic read {}",
        protocol::sites::stock_filter_all_sites()
    );
    // Orders it hands over to other sites' hubs, and its answers to theirs.
    let _ = writeln!(acl, "topic write wms/+/hub/inbox/{}", hub.site);
    // The probe that looks for another live hub of the site before the
    // hub connects (a client id of its own: looking takes nothing over).
    let owner = protocol::sites::owner_topic(hub.site)?;
    let _ = writeln!(acl, "\nuser {}-probe\ntopic read {owner}", hub.username);
    acl.push('\n');
    Ok(())
}

fn device_rules(acl: &mut String, site: &str, device: &str, kind: DeviceKind) {
    let _ = writeln!(acl, "user {device}");
    let rules: &[(&str, &str)] = match kind {
        DeviceKind::Handheld => &[
            ("write", "dev/{}/events"),
            ("write", "dev/{}/status"),
            ("write", "dev/{}/taskack"),
            ("read", "dev/{}/ack"),
            ("read", "dev/{}/tasks"),
        ],
        // A station also sends its status (heartbeat and last will).
        DeviceKind::PrinterStation => &[
            ("write", "dev/{}/status"),
            ("write", "printer/{}/done"),
            ("read", "printer/{}/jobs"),
        ],
    };
    for (access, pattern) in rules {
        let topic = pattern.replace("{}", device);
        let _ = writeln!(acl, "topic {access} wms/{site}/{topic}");
    }
    acl.push('\n');
}

/// PBKDF2-HMAC-SHA512 for a 64-byte key: one block, so no block loop.
fn pbkdf2_sha512_one_block(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 64] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac_sha512(password, &block);
    let mut out = u;
    for _ in 1..rounds {
        u = hmac_sha512(password, &u);
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

fn hmac_sha512(key: &[u8], message: &[u8]) -> [u8; 64] {
    const BLOCK: usize = 128;
    let mut padded = [0u8; BLOCK];
    if key.len() > BLOCK {
        padded[..64].copy_from_slice(&Sha512::digest(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| padded.map(|k| k ^ byte);
    let inner = Sha512::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha512::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
#[path = "mosquitto_tests.rs"]
mod tests;
