//! The fleet's Wi-Fi: one TCP proxy in front of the hub's broker that
//! knows which handheld each connection belongs to (from the client id of
//! its MQTT CONNECT) and can take one handheld's network away: cut its live
//! connections without a goodbye and refuse new ones until it is back.
//!
//! Why a proxy and not cancelling the publisher: a cancelled publisher says
//! goodbye (Offline status, DISCONNECT); a handheld walking into a cold
//! room does not. Through the proxy the agent's real reconnect, backoff and
//! resend-from-journal paths run, and the hub sees a dead TCP connection.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// Longest CONNECT packet accepted (client id, will and all).
const MAX_CONNECT: usize = 64 * 1024;

#[derive(Default)]
struct Link {
    down: bool,
    /// Cancelled to cut the live connections; replaced after each cut.
    cut: CancellationToken,
}

/// The proxy; clones share it.
#[derive(Clone)]
pub struct Wifi {
    addr: SocketAddr,
    links: Arc<Mutex<HashMap<String, Link>>>,
}

impl Wifi {
    /// Listens on a free loopback port and forwards to `upstream` until `cancel`.
    pub async fn start(upstream: SocketAddr, cancel: CancellationToken) -> io::Result<Wifi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let wifi = Wifi {
            addr: listener.local_addr()?,
            links: Arc::default(),
        };
        let serving = wifi.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = cancel.cancelled() => break,
                    accepted = listener.accept() => accepted,
                };
                match accepted {
                    Ok((client, _)) => {
                        let wifi = serving.clone();
                        tokio::spawn(async move { wifi.serve(client, upstream).await });
                    }
                    Err(e) => {
                        debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        });
        Ok(wifi)
    }

    /// Where handhelds connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn links(&self) -> MutexGuard<'_, HashMap<String, Link>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the network away from `client_id` (cuts, then refuses) or
    /// gives it back.
    pub fn set_down(&self, client_id: &str, down: bool) {
        let mut links = self.links();
        let link = links.entry(client_id.to_string()).or_default();
        link.down = down;
        if down {
            link.cut.cancel();
            link.cut = CancellationToken::new();
        }
    }

    async fn serve(&self, mut client: TcpStream, upstream: SocketAddr) {
        let _ = client.set_nodelay(true);
        let connect = tokio::time::timeout(Duration::from_secs(10), read_packet(&mut client)).await;
        let Ok(Ok(connect)) = connect else {
            return;
        };
        let Some(client_id) = connect_client_id(&connect) else {
            debug!("first packet is not an MQTT CONNECT; dropped");
            return;
        };
        let cut = {
            let mut links = self.links();
            let link = links.entry(client_id).or_default();
            if link.down {
                return;
            }
            link.cut.clone()
        };
        let Ok(mut server) = TcpStream::connect(upstream).await else {
            return;
        };
        let _ = server.set_nodelay(true);
        if server.write_all(&connect).await.is_err() {
            return;
        }
        tokio::select! {
            _ = cut.cancelled() => {}
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        }
        // Dropping both sockets closes them: the cut is abrupt for both ends.
    }
}

/// Reads one whole MQTT packet (fixed header, remaining length, body).
async fn read_packet(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut packet = vec![stream.read_u8().await?];
    let mut remaining = 0usize;
    for shift in 0..4 {
        let byte = stream.read_u8().await?;
        packet.push(byte);
        remaining |= usize::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            break;
        }
    }
    if remaining > MAX_CONNECT {
        return Err(io::Error::other("first packet too large"));
    }
    let start = packet.len();
    packet.resize(start + remaining, 0);
    stream.read_exact(&mut packet[start..]).await?;
    Ok(packet)
}

/// The client id of an MQTT 3.1.1 CONNECT packet, if it is one.
fn connect_client_id(packet: &[u8]) -> Option<String> {
    if packet.first()? & 0xf0 != 0x10 {
        return None;
    }
    // Skip the remaining-length varint.
    let mut i = 1;
    while packet.get(i)? & 0x80 != 0 {
        i += 1;
    }
    i += 1;
    let name_len = usize::from(u16::from_be_bytes([*packet.get(i)?, *packet.get(i + 1)?]));
    // Protocol name, level (1), flags (1), keep-alive (2).
    i += 2 + name_len + 4;
    let id_len = usize::from(u16::from_be_bytes([*packet.get(i)?, *packet.get(i + 1)?]));
    let id = packet.get(i + 2..i + 2 + id_len)?;
    String::from_utf8(id.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_client_id_of_a_connect() {
        let mut p = vec![0x10, 0];
        p.extend([0, 4]);
        p.extend(b"MQTT");
        p.extend([4, 2, 0, 5]);
        p.extend([0, 7]);
        p.extend(b"agent-x");
        p[1] = (p.len() - 2) as u8;
        assert_eq!(connect_client_id(&p).as_deref(), Some("agent-x"));
        assert_eq!(connect_client_id(&[0x30, 0]), None);
        assert_eq!(connect_client_id(&p[..10]), None);
    }
}
