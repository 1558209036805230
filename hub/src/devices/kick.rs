//! Disconnects a revoked device from the embedded broker (promise 9):
//! revocation refuses the next login at the auth hook, but rumqttd 0.20
//! has no call to drop an open connection, so the hub takes the session
//! over instead. It connects once with the revoked device's client id
//! (its own per-process secret; the auth hook lets the hub's username use
//! the client id of a revoked device and of no other), which makes
//! rumqttd's router drop the device's connection, then disconnects
//! cleanly. The device's reconnect is refused at the auth hook.
//!
//! rumqttd 0.20 panics (and poisons its connect lock for good) when a
//! client id connects whose previous connection died between its auth and
//! its CONNACK (rumqtt issue #1062). Two rules keep the takeover away
//! from that: the hub's own connect never gives up before its CONNACK
//! arrives (it waits [`CONNACK_WAIT`], far beyond any broker answer), and
//! only a device whose login the auth hook accepted during this run is
//! taken over, so a device that was already refused when revoked (the
//! common case of a lost handheld) is never touched. What is left is the
//! window in which a device's last connect dies mid-handshake and it is
//! revoked before trying again; see ARCHITECTURE.md.

use super::agent_client_id;
use super::auth::InternalLogin;
use super::book::Devices;
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How often the book is compared for new revocations (the registry itself
/// is re-read every [`super::reload::POLL`]).
const CHECK: Duration = Duration::from_millis(50);
/// How long the takeover waits for its CONNACK.
pub const CONNACK_WAIT: Duration = Duration::from_secs(60);

/// Client ids whose device login the auth hook accepted in this process.
static ACCEPTED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Remembers that `client_id` logged in (called by the auth hook).
pub(crate) fn note_login(client_id: &str) {
    let mut seen = ACCEPTED.lock().unwrap_or_else(|e| e.into_inner());
    seen.get_or_insert_with(HashSet::new)
        .insert(client_id.to_string());
}

fn logged_in(client_id: &str) -> bool {
    let seen = ACCEPTED.lock().unwrap_or_else(|e| e.into_inner());
    seen.as_ref().is_some_and(|s| s.contains(client_id))
}

/// Disconnects revoked devices until `cancel`. Runs in the embedded
/// broker's own process ([`crate::net::broker::child`]), beside the auth hook
/// that notes which devices logged in; an external broker drops revoked
/// devices itself on reload (see [`super::mosquitto`]).
pub async fn run(
    broker: SocketAddr,
    login: InternalLogin,
    devices: Devices,
    cancel: CancellationToken,
) {
    // Revoked before this run: their logins were refused all along.
    let mut handled: HashSet<String> = revoked(&devices);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(CHECK) => {}
        }
        for (device, client_id) in revoked_clients(&devices) {
            if !handled.insert(device.clone()) || !logged_in(&client_id) {
                continue;
            }
            match take_over(broker, &login, &client_id, &cancel).await {
                Ok(()) => info!(device = %device, "revoked device disconnected from the broker"),
                Err(e) => {
                    warn!(device = %device, error = %e, "could not disconnect a revoked device")
                }
            }
        }
    }
}

fn revoked(devices: &Devices) -> HashSet<String> {
    revoked_clients(devices)
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

fn revoked_clients(devices: &Devices) -> Vec<(String, String)> {
    let book = devices.current();
    book.revoked()
        .map(|(device, site)| (device.to_string(), agent_client_id(site, device)))
        .collect()
}

/// Connects as `client_id`, waits for the CONNACK, disconnects cleanly.
async fn take_over(
    broker: SocketAddr,
    login: &InternalLogin,
    client_id: &str,
    cancel: &CancellationToken,
) -> Result<(), String> {
    let mut options = MqttOptions::new(client_id, broker.ip().to_string(), broker.port());
    options
        .set_credentials(login.username.clone(), login.password.clone())
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 4);
    let connack = async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                // The broker closed or refused: no half-open connect is left.
                Err(e) => return Err(e.to_string()),
            }
        }
    };
    tokio::select! {
        // The hub is stopping, and its broker with it.
        _ = cancel.cancelled() => return Ok(()),
        res = tokio::time::timeout(CONNACK_WAIT, connack) => {
            res.map_err(|_| "no CONNACK".to_string())??;
        }
    }
    client.disconnect().await.map_err(|e| e.to_string())?;
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}
