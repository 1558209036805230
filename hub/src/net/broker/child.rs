//! `hub broker-child`: the process the embedded broker lives in.
//!
//! Why a process: rumqttd 0.20 panics on some client behaviour and then
//! refuses every connection while the hub around it looks healthy (see the
//! module above). Here any panic aborts the whole process, so the
//! [`super::supervisor`] sees the death at once and starts a fresh broker;
//! and killing a process is the only way to stop rumqttd, whose threads
//! have no shutdown.
//!
//! The conversation with the hub is three lines: the hub writes the
//! per-start secret of its own login on stdin (never argv or the
//! environment, which other users can read); the child answers `ready` on
//! stdout once clients can connect; the child exits when its stdin closes,
//! which is also what happens when the hub dies, however it dies.

use super::BrokerError;
use crate::devices::{
    kick, reload, BrokerAuth, Devices, InternalLogin, Registry, INTERNAL_USERNAME,
};
use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The line the child writes once it accepts connections.
pub const READY: &str = "ready";

/// What the hub tells the child on its command line.
#[derive(Debug, Clone)]
pub struct ChildArgs {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The hub's data directory (for the device registry).
    pub data_dir: PathBuf,
    /// The site.
    pub site: String,
}

/// Runs the broker until stdin closes. Returns an error if it cannot start.
pub fn run(args: ChildArgs) -> Result<(), BrokerError> {
    abort_on_panic();
    let mut stdin = std::io::stdin().lock();
    let secret = read_secret(&mut stdin)?;
    let internal = InternalLogin {
        client_id: format!("hub-{}", args.site),
        username: INTERNAL_USERNAME.to_string(),
        password: secret,
    };
    let registry = Registry::new(&args.data_dir);
    let devices = Devices::new(reload::load_book(&registry).map_err(BrokerError::Registry)?);
    super::start(
        args.listen,
        BrokerAuth {
            devices: devices.clone(),
            internal: internal.clone(),
        },
    )?;
    watch_registry(registry, devices, local(args.listen), internal)?;
    wait_accepting(args.listen)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{READY}")
        .and_then(|()| out.flush())
        .map_err(BrokerError::Thread)?;
    // Block until the hub closes our stdin (or dies): then we are done.
    let _ = std::io::copy(&mut stdin, &mut std::io::sink());
    tracing::info!("hub gone or stopping: broker process exits");
    Ok(())
}

/// Any panic, on any rumqttd thread, ends the process: a half-dead broker
/// that refuses everyone is worse than a restart.
fn abort_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        tracing::error!("broker panicked; aborting so the hub starts a fresh one");
        std::process::abort();
    }));
}

/// The broker's address as a client reaches it (loopback for a wildcard
/// listen address).
fn local(listen: SocketAddr) -> SocketAddr {
    let mut at = listen;
    if at.ip().is_unspecified() {
        at.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    at
}

fn read_secret(stdin: &mut impl BufRead) -> Result<String, BrokerError> {
    let mut line = String::new();
    stdin
        .take(4096)
        .read_line(&mut line)
        .map_err(BrokerError::Thread)?;
    let secret = line.trim_end_matches(['\r', '\n']).to_string();
    if secret.is_empty() {
        return Err(BrokerError::NoSecret);
    }
    Ok(secret)
}

/// Devices added or revoked while the broker runs take effect at their
/// next login; a revoked device's open connection is dropped
/// ([`kick`](crate::devices::kick)).
fn watch_registry(
    registry: Registry,
    devices: Devices,
    broker: SocketAddr,
    hub: InternalLogin,
) -> Result<(), BrokerError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BrokerError::Thread)?;
    std::thread::Builder::new()
        .name("registry-watch".into())
        .spawn(move || {
            // The process ends when the hub goes: nothing to cancel.
            let forever = CancellationToken::new();
            let watch = reload::watch(
                registry,
                devices.clone(),
                crate::beat::Beat::unwatched(),
                forever.clone(),
                |_, _| {},
            );
            let drop_revoked = kick::run(broker, hub, devices, forever);
            runtime.block_on(async { tokio::join!(watch, drop_revoked) });
        })
        .map_err(BrokerError::Thread)?;
    Ok(())
}

/// Waits until this process has a socket listening on `listen` (rumqttd
/// binds on its own thread and only logs a failure); from then on connects
/// queue in its backlog.
fn wait_accepting(listen: SocketAddr) -> Result<(), BrokerError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !crate::net::nodelay::set_on_listener(listen) {
        if Instant::now() > deadline {
            return Err(BrokerError::NotReady {
                addr: listen,
                why: "no listening socket after 10 s (see the broker's log)".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_the_first_line_and_must_not_be_empty() {
        let mut input = std::io::Cursor::new(b"s3cret\nrest".to_vec());
        assert_eq!(read_secret(&mut input).unwrap(), "s3cret");
        for bad in [&b""[..], b"\n", b"\r\n"] {
            let mut input = std::io::Cursor::new(bad.to_vec());
            assert!(matches!(
                read_secret(&mut input),
                Err(BrokerError::NoSecret)
            ));
        }
    }
}
